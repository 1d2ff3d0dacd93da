import { maskCredentials } from '../mask.ts';

/**
 * Where a parsed config holds a credential inline rather than by `{ env }` or
 * `{ file }`: fine for the demo, a leak anywhere else (the file is copied,
 * committed, mounted world-readable, or stored: the hub used to keep each
 * site config in its database). `vigil check-config` warns about each one.
 *
 * Inline secrets come out of the schemas as `{ value }` (common/config/secret.ts);
 * a camera URL may also carry one as `rtsp://user:password@host`.
 */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^\s]*@/i;
/** A stored password hash is not a credential in itself; everything else under these names is. */
const NOT_SECRET = /(^|\.)passwordHash$/;

export function findInlineSecrets(config: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown, at: string, depth: number) => {
    if (depth > 16 || v === null || typeof v !== 'object') {
      if (typeof v === 'string' && URL_PASSWORD.test(v)) found.push(`${at} (a password in the URL)`);
      return;
    }
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'value' && typeof (v as { value: unknown }).value === 'string') {
      const value = (v as { value: string }).value;
      // A URL without a password in it (a PostgreSQL URL relying on trust auth) gives nothing away.
      if (!NOT_SECRET.test(at) && value !== '' && (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || URL_PASSWORD.test(value))) found.push(at);
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k, depth + 1);
  };
  walk(config, '', 0);
  return found;
}

/** A copy of a parsed config with every inline secret replaced, for storing or showing. */
export function redactSecrets<T>(config: T): T {
  const walk = (v: unknown, at: string, depth: number): unknown => {
    if (depth > 16 || v === null || typeof v !== 'object') {
      return typeof v === 'string' && URL_PASSWORD.test(v) ? maskCredentials(v) : v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}.${i}`, depth + 1));
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'value' && typeof (v as { value: unknown }).value === 'string' && !NOT_SECRET.test(at)) return { value: '***' };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, at ? `${at}.${k}` : k, depth + 1)]));
  };
  return walk(config, '', 0) as T;
}
