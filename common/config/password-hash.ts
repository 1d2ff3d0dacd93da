/**
 * The format and cost of a stored password hash (`scrypt$N$r$p$<salt>$<hash>`,
 * from `vigil hub --hash-password`), checked where configs are read: by
 * `vigil check-config` and by the hub at start-up.
 */
export const KEYLEN = 32;
/** OWASP's current guidance for scrypt: N = 2^17, r = 8, p = 1 (128 MiB per hash). */
export const SCRYPT_DEFAULTS = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
/** Below this a hash is refused outright (check-config, and the hub at start-up). */
export const SCRYPT_FLOOR = Object.freeze({ N: 2 ** 14, r: 8, p: 1 });
/**
 * The memory one verification may take. scrypt needs 128·N·r·p bytes; a hash
 * asking for more than this is refused (a config typo must not let each login
 * allocate gigabytes), and logins in flight are capped (hub.yaml auth.maxConcurrentLogins).
 */
export const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

export interface ScryptParams { N: number; r: number; p: number }

export const memoryOf = (o: ScryptParams) => 128 * o.N * o.r * o.p;

export interface HashCheck {
  /** the hash cannot be used: wrong format, or parameters too weak or too costly */
  error?: string;
  /** usable, but below current guidance: re-hash with `vigil hub --hash-password` */
  warning?: string;
  params?: ScryptParams;
}

/** Checks a stored hash's format and cost against the floor, the guidance and the memory limit. */
export function checkPasswordHash(stored: string): HashCheck {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return { error: 'must be a scrypt hash from `vigil hub --hash-password` (scrypt$N$r$p$salt$hash)' };
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((v) => Number.isSafeInteger(v) && v >= 1)) return { error: 'scrypt parameters N, r and p must be positive integers' };
  if (N < 2 || (N & (N - 1)) !== 0) return { error: `scrypt N must be a power of two (got ${N})` };
  const params = { N, r, p };
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 16) return { error: `the salt is ${salt.length} bytes; at least 16 are needed`, params };
  if (key.length !== KEYLEN) return { error: `the hash is ${key.length} bytes; expected ${KEYLEN}`, params };
  if (memoryOf(params) > SCRYPT_MAX_MEMORY) return { error: `scrypt N=${N}, r=${r}, p=${p} needs ${memoryOf(params) >> 20} MiB per login, over the ${SCRYPT_MAX_MEMORY >> 20} MiB limit`, params };
  if (N * r * p < SCRYPT_FLOOR.N * SCRYPT_FLOOR.r * SCRYPT_FLOOR.p || r < SCRYPT_FLOOR.r) {
    return { error: `scrypt N=${N}, r=${r}, p=${p} is too weak (at least N=2^14, r=8; current guidance N=2^17, r=8, p=1): re-hash with \`vigil hub --hash-password\``, params };
  }
  if (N * r * p < SCRYPT_DEFAULTS.N * SCRYPT_DEFAULTS.r * SCRYPT_DEFAULTS.p) {
    return { warning: `scrypt N=${N}, r=${r}, p=${p} is below current guidance (OWASP: N=2^17, r=8, p=1): re-hash with \`vigil hub --hash-password\``, params };
  }
  return { params };
}

