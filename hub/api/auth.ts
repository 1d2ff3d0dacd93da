import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sign, verify } from 'hono/jwt';
import { ROLES, ROLE_MATRIX, roleHas, type Permission, type Role } from './roles.ts';
import type { ApiUser } from './deps.ts';
import type { Locale } from '../../common/locale.ts';
import { unauthorized } from '../service-errors.ts';

export { ROLES, ROLE_MATRIX, type Role, type Permission };

/** `locale`: the language of this request's messages (the user's choice, sent as Accept-Language, or `?lang=`). */
/** `scraper`: the request carried the /metrics scrape token (hub/api/scrape-token.ts) instead of a login. */
export type HubEnv = { Variables: { user: ApiUser; locale: Locale; scraper?: boolean } };

/** The algorithm is fixed on both sides: a token naming another `alg` is refused. */
const ALG = 'HS256' as const;

/** What an access token says. `sid` ties it to a session: no session, no access. */
export interface TokenClaims {
  sub: string;
  sid: string;
  role: Role;
  unit?: string;
  sites?: readonly string[];
  iat: number;
  exp: number;
}

export async function issueToken(user: ApiUser, secret: string, nowMs: number, ttlS: number): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + ttlS;
  const token = await sign({ sub: user.name, ...(user.sid ? { sid: user.sid } : {}), role: user.role, ...(user.unit ? { unit: user.unit } : {}), ...(user.sites ? { sites: [...user.sites] } : {}), iat, exp }, secret, ALG);
  return { token, expiresAt: exp * 1000 };
}

/**
 * Checks the signature, then the times against the hub's own clock (the same
 * one that issued the token), not the wall clock: a hub under test or with a
 * corrected clock must agree with itself. A token without `exp` never expires,
 * so it is refused; one without a session (`sid`) cannot be revoked, so it is too.
 */
export async function verifyToken(token: string, secret: string, nowMs: number): Promise<TokenClaims> {
  let payload: Record<string, unknown>;
  try {
    payload = (await verify(token, secret, { alg: ALG, exp: false, iat: false, nbf: false })) as Record<string, unknown>;
  } catch (err) {
    throw unauthorized('invalid or expired token', 'error.token_invalid', { cause: err });
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp !== 'number') throw unauthorized('invalid token claims: no exp', 'error.token_claims');
  if (payload.exp <= now) throw unauthorized('invalid or expired token', 'error.token_invalid');
  // A minute of leeway for replicas whose clocks differ slightly.
  if (typeof payload.iat === 'number' && payload.iat > now + 60) throw unauthorized('invalid token claims: issued in the future', 'error.token_claims');
  if (typeof payload.nbf === 'number' && payload.nbf > now + 60) throw unauthorized('token not yet valid', 'error.token_claims');
  const role = payload.role as Role;
  if (typeof payload.sub !== 'string' || !ROLES.includes(role)) throw unauthorized('invalid token claims', 'error.token_claims');
  if (typeof payload.sid !== 'string' || !payload.sid) throw unauthorized('invalid token claims: no session', 'error.token_claims');
  const sites = Array.isArray(payload.sites) && payload.sites.every((x) => typeof x === 'string') ? (payload.sites as string[]) : undefined;
  return { sub: payload.sub, sid: payload.sid, role, ...(typeof payload.unit === 'string' ? { unit: payload.unit } : {}), ...(sites ? { sites } : {}), iat: Number(payload.iat ?? now), exp: payload.exp };
}

/** Lets the request through when the login's role is listed (admin always is). Routes use can(): one role matrix. */
function requireRole(...roles: Role[]): MiddlewareHandler<HubEnv> {
  for (const r of roles) if (!ROLES.includes(r)) throw new Error(`requireRole: unknown role ${r}`);
  const allowed = new Set<Role>([...roles, 'admin']);
  return async function checkRole(c, next) {
    const user = c.get('user');
    if (!user) throw unauthorized('login required', 'error.login_required');
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
