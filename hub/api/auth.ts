import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sign, verify } from 'hono/jwt';
import { ROLES, ROLE_MATRIX, roleHas, type Permission, type Role } from './roles.ts';
import type { ApiUser } from './deps.ts';
import type { Locale } from '../../common/locale.ts';

export { ROLES, ROLE_MATRIX, type Role, type Permission };

/** `locale`: the language of this request's messages (the user's choice, sent as Accept-Language, or `?lang=`). */
export type HubEnv = { Variables: { user: ApiUser; locale: Locale } };

/** The algorithm is fixed on both sides: a token naming another `alg` is refused. */
const ALG = 'HS256' as const;

export async function issueToken(user: ApiUser, secret: string, nowMs: number, ttlS: number): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + ttlS;
  const token = await sign({ sub: user.name, role: user.role, ...(user.unit ? { unit: user.unit } : {}), iat, exp }, secret, ALG);
  return { token, expiresAt: exp * 1000 };
}

/**
 * Checks the signature, then the times against the hub's own clock (the same
 * one that issued the token), not the wall clock: a hub under test or with a
 * corrected clock must agree with itself. A token without `exp` never expires,
 * so it is refused.
 */
export async function verifyToken(token: string, secret: string, nowMs: number): Promise<ApiUser> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, secret, { alg: ALG, exp: false, iat: false, nbf: false })) as Record<string, unknown>;
  } catch (err) {
    throw new HTTPException(401, { message: 'invalid or expired token', cause: err });
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp !== 'number') throw new HTTPException(401, { message: 'invalid token claims: no exp' });
  if (payload.exp <= now) throw new HTTPException(401, { message: 'invalid or expired token' });
  // A minute of leeway for replicas whose clocks differ slightly.
  if (typeof payload.iat === 'number' && payload.iat > now + 60) throw new HTTPException(401, { message: 'invalid token claims: issued in the future' });
  if (typeof payload.nbf === 'number' && payload.nbf > now + 60) throw new HTTPException(401, { message: 'token not yet valid' });
  const role = payload.role as Role;
  if (typeof payload.sub !== 'string' || !ROLES.includes(role)) throw new HTTPException(401, { message: 'invalid token claims' });
  return { name: payload.sub, role, ...(typeof payload.unit === 'string' ? { unit: payload.unit } : {}) };
}

/**
 * Reads `Authorization: Bearer <token>`. The SSE stream also accepts
 * `?token=` because EventSource cannot send headers.
 */
export function authenticate(secret: string, options: { queryTokenPaths?: readonly string[]; now?: () => number } = {}): MiddlewareHandler<HubEnv> {
  if (!secret || secret.length < 32) throw new Error('authenticate: the token secret must be at least 32 characters');
  const queryPaths = new Set(options.queryTokenPaths ?? []);
  const now = options.now ?? (() => Date.now());
  return async function authenticateRequest(c, next) {
    const header = c.req.header('authorization');
    let token: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new HTTPException(401, { message: 'Authorization header must be "Bearer <token>"' });
      token = m[1];
    } else if (queryPaths.has(c.req.path)) {
      token = c.req.query('token');
    }
    if (!token) throw new HTTPException(401, { message: 'login required' });
    c.set('user', await verifyToken(token, secret, now()));
    await next();
  };
}

/** Lets the request through when the login's role is listed (admin always is). Routes use can(): one role matrix. */
function requireRole(...roles: Role[]): MiddlewareHandler<HubEnv> {
  for (const r of roles) if (!ROLES.includes(r)) throw new Error(`requireRole: unknown role ${r}`);
  const allowed = new Set<Role>([...roles, 'admin']);
  return async function checkRole(c, next) {
    const user = c.get('user');
    if (!user) throw new HTTPException(401, { message: 'login required' });
    if (!allowed.has(user.role)) throw new HTTPException(403, { message: `role ${user.role} may not do this (needs ${[...allowed].join(' or ')})` });
    await next();
  };
}

export function can(permission: Permission): MiddlewareHandler<HubEnv> {
  return requireRole(...(ROLE_MATRIX[permission] as readonly Role[]));
}

export function hasPermission(user: ApiUser, permission: Permission): boolean {
  return roleHas(user.role, permission);
}
