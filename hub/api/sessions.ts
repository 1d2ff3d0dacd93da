import type { Context, MiddlewareHandler } from 'hono';
import { createSessionStore, type Session, type SessionStore } from '../auth/session-store.ts';
import { issueToken, verifyToken, type HubEnv, type TokenClaims } from './auth.ts';
import type { ApiUser, HubDeps, LoginPolicy } from './deps.ts';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.ts';
import { unauthorized } from '../service-errors.ts';

/**
 * Sessions as the API uses them: a login starts one, every request is checked
 * against it and against the user as configured now, a refresh rotates it,
 * logout ends it.
 */
export const DEFAULT_SESSION_TTL_S = 12 * 3600;

export const DEFAULT_LOGIN_POLICY: LoginPolicy = Object.freeze({
  maxConcurrentLogins: 2, maxAttemptsPerName: 5, maxAttemptsPerAddress: 20,
  windowMs: 15 * 60_000, lockMs: 5 * 60_000, addressLockMs: 15 * 60_000, trustedProxies: [],
});

export function loginPolicy(deps: Pick<HubDeps, 'config'>): LoginPolicy {
  return { ...DEFAULT_LOGIN_POLICY, ...deps.config.logins };
}

/** The session store and the login limiter of a hub (both keep their state in the store). */
function createSessionParts(o: Pick<HubDeps, 'db' | 'clock' | 'auth' | 'config'>): { sessions: SessionStore; logins: LoginLimiter } {
  const p = loginPolicy(o);
  return {
    sessions: createSessionStore(o.db),
    logins: createLoginLimiter({
      db: o.db, now: () => o.clock.now(), isUser: (name) => (o.auth.current ? o.auth.current(name) !== null : true),
      maxPerName: p.maxAttemptsPerName, maxPerAddress: p.maxAttemptsPerAddress, windowMs: p.windowMs, lockMs: p.lockMs, addressLockMs: p.addressLockMs,
    }),
  };
}

/**
 * HubDeps from the host's other parts, with a session store and a login
 * limiter of its own: built once, with the rest, before the app is created.
 */
export function withSessionParts(base: Omit<HubDeps, 'sessions' | 'logins'>): HubDeps {
  return { ...base, ...createSessionParts(base) };
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
  const { session, refreshToken } = await deps.sessions.create({ user: user.name, credential, view, now, ttlMs: (deps.config.sessionTtlS ?? DEFAULT_SESSION_TTL_S) * 1000 });
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
  const r = await deps.sessions.refresh(refreshToken, now);
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
  const s = typeof session === 'string' ? await deps.sessions.get(session) : session;
  if (!s || s.revoked_at_ms !== null) throw unauthorized('the session has ended; log in again', 'error.session_ended');
  if (s.expires_at_ms <= now) throw unauthorized('the session has expired; log in again', 'error.session_expired');
  if (claims && claims.sub !== s.user_name) throw unauthorized('invalid token claims', 'error.token_claims');
  const cur = currentUser(deps, s);
  if (!cur) throw unauthorized('this user no longer exists', 'error.user_gone');
  if (deps.auth.current && (cur.credential ?? '') !== s.credential) throw unauthorized('the password has changed; log in again', 'error.password_changed');
  const { credential: _c, ...user } = cur;
  return { ...user, sid: s.id };
}

/** Reads `Authorization: Bearer <token>` for the session gate; the SSE stream may instead send `?ticket=`. */
export function bearerToken(c: Context): string | null {
  const header = c.req.header('authorization');
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw unauthorized('Authorization header must be "Bearer <token>"', 'error.bearer_format', { params: { header: 'Authorization', scheme: 'Bearer' } });
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
      const sid = await deps.sessions.redeemTicket(c.req.query('ticket')!, now);
      if (!sid) throw unauthorized('invalid, used or expired stream ticket; ask for another (POST /api/stream/ticket)', 'error.stream_ticket', { params: { request: 'POST /api/stream/ticket' } });
      user = await userOfSession(deps, sid, now);
    } else {
      throw unauthorized('login required', 'error.login_required');
    }
    c.set('user', user);
    await next();
  };
}
