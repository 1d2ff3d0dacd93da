import type { Context } from 'hono';

/**
 * Prometheus logs in with a bearer token from a secret file (hub.yaml
 * `metrics.token`), which opens /metrics and nothing else; engineers' logins
 * work there as before. Compared in constant time, so response timing says
 * nothing about how much of a guess was right.
 */
export function hasScrapeToken(c: Context, token: string | undefined): boolean {
  if (!token) return false;
  const header = c.req.header('authorization') ?? '';
  if (!header.startsWith('Bearer ')) return false;
  const given = new TextEncoder().encode(header.slice(7).trim());
  const want = new TextEncoder().encode(token);
  let diff = given.length ^ want.length;
  for (let i = 0; i < want.length; i++) diff |= want[i]! ^ (given[i] ?? 0);
  return diff === 0;
}
