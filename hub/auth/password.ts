import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes for hub.yaml users: `scrypt$N$r$p$<salt>$<hash>` (base64).
 * Node-only; the API gets a login function through its deps, so hub/api has
 * no node: imports.
 */
const KEYLEN = 32;
const DEFAULTS = { N: 16384, r: 8, p: 1 };

function derive(password: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEYLEN, { ...o, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, o = DEFAULTS): Promise<string> {
  if (password.length < 8) throw new Error('a password needs at least 8 characters');
  const salt = randomBytes(16);
  const key = await derive(password, salt, o);
  return `scrypt$${o.N}$${o.r}$${o.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length !== KEYLEN) return false;
  const got = await derive(password, salt, { N, r, p });
  return timingSafeEqual(got, want);
}

/** A hash of nothing, checked when the user is unknown so that timing does not reveal which names exist. */
let decoy: Promise<string> | null = null;

export function createPasswordLogin<U extends { name: string; passwordHash: string }>(users: readonly U[]): (name: string, password: string) => Promise<Omit<U, 'passwordHash'> | null> {
  const byName = new Map(users.map((u) => [u.name, u]));
  return async (name, password) => {
    const u = byName.get(name);
    if (!u) {
      await verifyPassword(password, await (decoy ??= hashPassword('decoy-password-never-matches')));
      return null;
    }
    if (!(await verifyPassword(password, u.passwordHash))) return null;
    const { passwordHash: _h, ...rest } = u;
    return rest;
  };
}
