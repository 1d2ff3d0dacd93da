import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody } from '../validate.ts';
import { route } from '../route-spec.ts';
import { errorBody, okBody, publicUser, tokenBody } from '../response-schemas.ts';
import { clientAddress } from '../client-address.ts';
import { loginPolicy, refreshSession, startSession } from '../sessions.ts';
import { appendAudit } from '../../store/audit.ts';
import { translator, type MessageKey } from '../../i18n/catalogue.ts';
import { unauthorized } from '../../service-errors.ts';

export const loginBody = z.object({
  name: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
}).strict();

export const refreshBody = z.object({ refreshToken: z.string().min(16).max(256) }).strict();
export const logoutBody = z.object({ all: z.boolean().optional() }).strict();

const iso = (ms: number) => new Date(ms).toISOString();

/** 429 with Retry-After, in the request's language. */
function tooMany(c: Context<HubEnv>, waitMs: number, message: string, key: MessageKey) {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  const locale = c.get('locale') ?? 'en';
  const text = locale === 'en' ? `${message}; try again in ${s} s` : translator(locale).t(key, { seconds: s });
  return c.json({ error: 'too_many_attempts', message: text }, 429, { 'retry-after': String(s) });
}

/**
 * Login, refresh, logout and the stream ticket. A login is refused before any
 * password is hashed when its name or address is locked, when too many
 * logins are being checked at once (429 at once: scrypt must not starve the
 * API), and when this attempt would pass the limit (counted first, so
 * parallel guesses cannot race past it).
 */
export function registerAuthRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  let inFlight = 0;

  route(app, {
    method: 'post', path: '/api/login', access: 'public', body: loginBody,
    summary: 'Log in; returns a short-lived access token and a refresh token. Attempts are counted per name and per client address before the password is checked.',
    responses: { 200: tokenBody, 401: errorBody, 429: errorBody },
  }, async (c) => {
    const body = await jsonBody(c, loginBody);
    const address = clientAddress(c, deps);
    const limiter = deps.logins;
    const locked = limiter.lockedFor(body.name, address);
    if (locked > 0) return tooMany(c, locked, 'too many login attempts', 'error.too_many_attempts');
    if (inFlight >= loginPolicy(deps).maxConcurrentLogins) {
      deps.logger.warn('login refused: too many logins in flight', { user: body.name, address });
      return tooMany(c, 1000, 'the hub is checking other logins', 'error.logins_busy');
    }
    inFlight++;
    try {
      const verdict = await limiter.attempt(body.name, address);
      if (!verdict.ok) {
        deps.logger.warn('login refused: too many attempts', { user: body.name, address, by: verdict.reason });
        return tooMany(c, verdict.retryAfterMs, 'too many login attempts', 'error.too_many_attempts');
      }
      const user = await deps.auth.login(body.name, body.password);
      if (!user) {
        deps.logger.warn('login refused', { user: body.name, address });
        throw unauthorized('wrong name or password', 'error.wrong_password');
      }
      await limiter.succeeded(body.name, address);
      const t = await startSession(deps, user);
      await appendAudit(deps.db, { atMs: deps.clock.now(), actor: user.name, action: 'user.login', entity: 'user', entityId: user.name, data: { address } });
      deps.logger.info('login', { user: user.name, role: user.role });
      return c.json({ token: t.token, tokenType: 'Bearer', expiresAt: iso(t.expiresAt), refreshToken: t.refreshToken, refreshExpiresAt: iso(t.refreshExpiresAt), user });
    } finally {
      inFlight--;
    }
  });

  /** A new access token (and the next refresh token) for a live session; the old refresh token is spent. */
  route(app, {
    method: 'post', path: '/api/token/refresh', access: 'public', body: refreshBody,
    summary: 'Trade a refresh token for a new access token and the next refresh token (each refresh token works once; reusing one ends the session).',
    responses: { 200: tokenBody, 401: errorBody },
  }, async (c) => {
    const body = await jsonBody(c, refreshBody);
    const r = await refreshSession(deps, body.refreshToken);
    if (!r) throw unauthorized('the session has ended; log in again', 'error.session_ended');
    return c.json({ token: r.token, tokenType: 'Bearer', expiresAt: iso(r.expiresAt), refreshToken: r.refreshToken, refreshExpiresAt: iso(r.refreshExpiresAt), user: withoutSession(r.user) });
  });

  /** Ends this session (or, with {all: true}, every session of this user); its tokens stop working at once. */
  route(app, {
    method: 'post', path: '/api/logout', access: 'login', body: logoutBody, bodyOptional: true,
    summary: 'End this session (or all of the user\'s with {all: true}); its tokens stop working at once.',
    responses: { 200: okBody },
  }, async (c) => {
    const body = await jsonBody(c, logoutBody);
    const user = c.get('user');
    const now = deps.clock.now();
    if (body.all) await deps.sessions.revokeUser(user.name, 'logout (all sessions)', now);
    else if (user.sid) await deps.sessions.revoke(user.sid, 'logout', now);
    await appendAudit(deps.db, { atMs: now, actor: user.name, action: 'user.logout', entity: 'user', entityId: user.name, data: { all: Boolean(body.all) } });
    return c.json({ ok: true });
  });

  /** A one-use ticket, good for 60 s, to open the SSE stream: EventSource cannot send a header, and a token must not sit in a URL. */
  route(app, {
    method: 'post', path: '/api/stream/ticket', access: 'login',
    summary: 'A one-use ticket, valid 60 s, to open /api/stream?ticket=….',
    responses: { 200: z.object({ ticket: z.string(), expiresAt: z.string(), url: z.string() }) },
  }, async (c) => {
    const user = c.get('user');
    if (!user.sid) throw unauthorized('login required', 'error.login_required');
    const t = await deps.sessions.issueTicket(user.sid, deps.clock.now());
    return c.json({ ticket: t.ticket, expiresAt: iso(t.expiresAt), url: `/api/stream?ticket=${encodeURIComponent(t.ticket)}` });
  });

  route(app, { method: 'get', path: '/api/me', access: 'login', summary: 'The logged-in user.', responses: { 200: z.object({ user: publicUser }) } },
    (c) => c.json({ user: withoutSession(c.get('user')) }));
}

function withoutSession<U extends { sid?: string }>(u: U): Omit<U, 'sid'> {
  const { sid: _s, ...rest } = u;
  return rest;
}
