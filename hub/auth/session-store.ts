import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { SessionTable } from '../store/schema-security.ts';

/**
 * Logins as the store keeps them, so that every hub replica agrees on them and
 * a restart forgets none:
 * - a session per login, ended by logout, by its age, by a changed password,
 *   or by a refresh token presented twice (a copied token);
 * - its refresh token, rotated on every use (only its SHA-256 is stored);
 * - one-use stream tickets of 60 s, so that the SSE URL never carries a token.
 * Runs on Node and Deno alike (Web Crypto).
 */
export type Session = SessionTable;

export interface SessionStore {
  create(o: { user: string; credential: string; view: object; now: number; ttlMs: number }): Promise<{ session: Session; refreshToken: string }>;
  get(id: string): Promise<Session | null>;
  /**
   * Trades a refresh token for the next one. A token already traded (the one
   * before the current) means two holders: the session is ended. Null when
   * the token is unknown, expired or ended.
   */
  refresh(refreshToken: string, now: number): Promise<{ session: Session; refreshToken: string } | null>;
  revoke(id: string, reason: string, now: number): Promise<void>;
  revokeUser(user: string, reason: string, now: number): Promise<number>;
  issueTicket(sessionId: string, now: number, ttlMs?: number): Promise<{ ticket: string; expiresAt: number }>;
  /** One use: the ticket is gone once redeemed, whatever the outcome. */
  redeemTicket(ticket: string, now: number): Promise<string | null>;
  /** Deletes what has expired: sessions a day after their end, tickets at once. */
  sweep(now: number): Promise<number>;
}

export const TICKET_TTL_MS = 60_000;

function randomToken(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function sha256(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function createSessionStore(db: Kysely<Database>): SessionStore {
  const live = (s: Session | undefined, now: number): Session | null => (s && s.revoked_at_ms === null && s.expires_at_ms > now ? s : null);

  const store: SessionStore = {
    async create({ user, credential, view, now, ttlMs }) {
      const refreshToken = randomToken();
      const session: Session = {
        id: randomToken(18), user_name: user, credential, user_view: JSON.stringify(view), created_at_ms: now, expires_at_ms: now + ttlMs,
        refresh_hash: await sha256(refreshToken), prev_refresh_hash: null, refreshed_at_ms: now, revoked_at_ms: null, revoked_reason: null,
      };
      await db.insertInto('sessions').values(session).execute();
      return { session, refreshToken };
    },

    async get(id) {
      return (await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
    },

    async refresh(refreshToken, now) {
      const hash = await sha256(refreshToken);
      const cur = await db.selectFrom('sessions').selectAll().where('refresh_hash', '=', hash).executeTakeFirst();
      if (!cur) {
        const reused = await db.selectFrom('sessions').select(['id']).where('prev_refresh_hash', '=', hash).executeTakeFirst();
        if (reused) await store.revoke(reused.id, 'refresh token used twice', now);
        return null;
      }
      if (!live(cur, now)) return null;
      const next = randomToken();
      const nextHash = await sha256(next);
      // Guarded on the current hash: of two refreshes racing with one token, one wins and the other is refused.
      const r = await db.updateTable('sessions').set({ refresh_hash: nextHash, prev_refresh_hash: hash, refreshed_at_ms: now })
        .where('id', '=', cur.id).where('refresh_hash', '=', hash).where('revoked_at_ms', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return null;
      return { session: { ...cur, refresh_hash: nextHash, prev_refresh_hash: hash, refreshed_at_ms: now }, refreshToken: next };
    },

    async revoke(id, reason, now) {
      await db.updateTable('sessions').set({ revoked_at_ms: now, revoked_reason: reason }).where('id', '=', id).where('revoked_at_ms', 'is', null).execute();
      await db.deleteFrom('stream_tickets').where('session_id', '=', id).execute();
    },

    async revokeUser(user, reason, now) {
      const r = await db.updateTable('sessions').set({ revoked_at_ms: now, revoked_reason: reason }).where('user_name', '=', user).where('revoked_at_ms', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async issueTicket(sessionId, now, ttlMs = TICKET_TTL_MS) {
      const ticket = randomToken();
      const expiresAt = now + ttlMs;
      await db.insertInto('stream_tickets').values({ ticket_hash: await sha256(ticket), session_id: sessionId, expires_at_ms: expiresAt }).execute();
      return { ticket, expiresAt };
    },

    async redeemTicket(ticket, now) {
      const row = await db.deleteFrom('stream_tickets').where('ticket_hash', '=', await sha256(ticket)).returning(['session_id', 'expires_at_ms']).executeTakeFirst();
      return row && row.expires_at_ms > now ? row.session_id : null;
    },

    async sweep(now) {
      const a = await db.deleteFrom('stream_tickets').where('expires_at_ms', '<=', now).executeTakeFirst();
      const b = await db.deleteFrom('sessions').where('expires_at_ms', '<=', now - 24 * 3600_000).executeTakeFirst();
      return Number(a.numDeletedRows) + Number(b.numDeletedRows);
    },
  };
  return store;
}
