import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import { createSessionStore, type Session, type SessionStore } from '../auth/session-store.ts';
import type { Database } from '../store/schema.ts';
import { issueToken, verifyToken, type HubEnv, type TokenClaims } from './auth.ts';
import type { ApiUser, HubDeps, LoginPolicy } from './deps.ts';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.ts';

/**
 * Sessions as the API uses them: a login starts one, every request is checked
 * against it and against the user as configured now, a refresh rotates it,
 * logout ends it. One store per database, one limiter per app.
 */
export const DEFAULT_SESSION_TTL_S = 12 * 3600;

export const DEFAULT_LOGIN_POLICY: LoginPolicy = Object.freeze({
  maxConcurrentLogins: 2, maxAttemptsPerName: 5, maxAttemptsPerAddress: 20,
  windowMs: 15 * 60_000, lockMs: 5 * 60_000, addressLockMs: 15 * 60_000, trustedProxies: [],
});

const stores = new WeakMap<Kysely<Database>, SessionStore>();
export function sessionsFor(deps: Pick<HubDeps, 'db'>): SessionStore {
  let s = stores.get(deps.db);
  if (!s) stores.set(deps.db, (s = createSessionStore(deps.db)));
  return s;
}

const limiters = new WeakMap<HubDeps, LoginLimiter>();
export function loginPolicy(deps: HubDeps): LoginPolicy {
  return { ...DEFAULT_LOGIN_POLICY, ...deps.config.logins };
}
export function limiterFor(deps: HubDeps): LoginLimiter {
  let l = limiters.get(deps);
  if (!l) {
    const p = loginPolicy(deps);
    limiters.set(deps, (l = createLoginLimiter({
      db: deps.db, now: () => deps.clock.now(), isUser: (name) => (deps.auth.current ? deps.auth.current(name) !== null : true),
      maxPerName: p.maxAttemptsPerName, maxPerAddress: p.maxAttemptsPerAddress, windowMs: p.windowMs, lockMs: p.lockMs, addressLockMs: p.addressLockMs,
    })));
  }
  return l;
}

/** The user as configured now, or, where the host has no user directory, as they were at login; null: gone. */
function currentUser(deps: HubDeps, s: Session): (ApiUser & { credential?: string }) | null {
  if (deps.auth.current) return deps.auth.current(s.user_name);
  const v = JSON.parse(s.user_view) as Omit<ApiUser, 'name'>;
  return { name: s.user_name, role: v.role, ...(v.unit ? { unit: v.unit } : {}), ...(v.sites ? { sites: v.sites } : {}) };
}

/** Starts a session for a user who has just proved who they are; returns the access and refresh tokens. */
export async function startSession(deps: HubDeps, user: ApiUser) {
  const now = deps.clock.now();
  const credential = deps.auth.current?.(user.name)?.credential ?? '';
  const view = { role: user.role, ...(user.unit ? { unit: user.unit } : {}), ...(user.sites ? { sites: user.sites } : {}) };
  const { session, refreshToken } = await sessionsFor(deps).create({ user: user.name, credential, view, now, ttlMs: (deps.config.sessionTtlS ?? DEFAULT_SESSION_TTL_S) * 1000 });
  return { ...(await accessToken(deps, { ...user, sid: session.id }, session, now)), refreshToken, refreshExpiresAt: session.expires_at_ms };
}

async function accessToken(deps: HubDeps, user: ApiUser & { sid: string }, session: Session, now: number) {
  // Never beyond the session's own end.
  const ttlS = Math.max(1, Math.min(deps.config.tokenTtlS, Math.floor((session.expires_at_ms - now) / 1000)));
  return issueToken(user, deps.config.jwtSecret, now, ttlS);
}

/** Trades a refresh token for new tokens; null when it is refused (the caller answers 401). */
export async function refreshSession(deps: HubDeps, refreshToken: string) {
  const now = deps.clock.now();
  const r = await sessionsFor(deps).refresh(refreshToken, now);
  if (!r) return null;
  const user = await userOfSession(deps, r.session, now).catch(() => null);
  if (!user) return null;
  return { ...(await accessToken(deps, user, r.session, now)), refreshToken: r.refreshToken, refreshExpiresAt: r.session.expires_at_ms, user };
}

/**
 * The user a live session belongs to, as configured now. 401 when the session
 * is ended or expired, the user is gone, or their password changed since.
 */
export async function userOfSession(deps: HubDeps, session: Session | string | null, now = deps.clock.now(), claims?: TokenClaims): Promise<ApiUser & { sid: string }> {
  const s = typeof session === 'string' ? await sessionsFor(deps).get(session) : session;
  if (!s || s.revoked_at_ms !== null) throw new HTTPException(401, { message: 'the session has ended; log in again' });
  if (s.expires_at_ms <= now) throw new HTTPException(401, { message: 'the session has expired; log in again' });
  if (claims && claims.sub !== s.user_name) throw new HTTPException(401, { message: 'invalid token claims' });
  const cur = currentUser(deps, s);
  if (!cur) throw new HTTPException(401, { message: 'this user no longer exists' });
  if (deps.auth.current && (cur.credential ?? '') !== s.credential) throw new HTTPException(401, { message: 'the password has changed; log in again' });
  const { credential: _c, ...user } = cur;
  return { ...user, sid: s.id };
}

/** Reads `Authorization: Bearer <token>` for the session gate; the SSE stream may instead send `?ticket=`. */
export function bearerToken(c: Context): string | null {
  const header = c.req.header('authorization');
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new HTTPException(401, { message: 'Authorization header must be "Bearer <token>"' });
  return m[1]!;
}

/**
 * Authentication for every API route but login, refresh and health: a bearer
 * access token tied to a live session of a user who still exists as they were
 * (role, sites and password read now, not from the token). The SSE stream,
 * which EventSource opens without headers, takes a one-use ticket instead.
 */
export function sessionGate(deps: HubDeps, options: { ticketPaths?: readonly string[] } = {}): MiddlewareHandler<HubEnv> {
  const secret = deps.config.jwtSecret;
  if (!secret || secret.length < 32) throw new Error('sessionGate: the token secret must be at least 32 characters');
  const ticketPaths = new Set(options.ticketPaths ?? []);
  return async function authenticateRequest(c, next) {
    const now = deps.clock.now();
    const token = bearerToken(c);
    let user: ApiUser & { sid: string };
    if (token) {
      const claims = await verifyToken(token, secret, now);
      user = await userOfSession(deps, claims.sid, now, claims);
    } else if (ticketPaths.has(c.req.path) && c.req.query('ticket')) {
      const sid = await sessionsFor(deps).redeemTicket(c.req.query('ticket')!, now);
      if (!sid) throw new HTTPException(401, { message: 'invalid, used or expired stream ticket; ask for another (POST /api/stream/ticket)' });
      user = await userOfSession(deps, sid, now);
    } else {
      throw new HTTPException(401, { message: 'login required' });
    }
    c.set('user', user);
    await next();
  };
}
