import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { KEYLEN, SCRYPT_DEFAULTS, checkPasswordHash, memoryOf, type ScryptParams } from '../../common/config/password-hash.ts';

export { SCRYPT_DEFAULTS, SCRYPT_FLOOR, SCRYPT_MAX_MEMORY, checkPasswordHash, type HashCheck, type ScryptParams } from '../../common/config/password-hash.ts';

/**
 * Password hashes for hub.yaml users: `scrypt$N$r$p$<salt>$<hash>` (base64).
 * Node-only; the API gets a login function through its deps, so hub/api has
 * no node: imports.
 */
function derive(password: string, salt: Buffer, o: ScryptParams): Promise<Buffer> {
  // maxmem must exceed the need (Node checks `>=`); a little headroom for its own bookkeeping.
  const options: ScryptOptions = { ...o, maxmem: memoryOf(o) + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEYLEN, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, o: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  if (password.length < 8) throw new Error('a password needs at least 8 characters');
  const salt = randomBytes(16);
  const key = await derive(password, salt, o);
  return `scrypt$${o.N}$${o.r}$${o.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const check = checkPasswordHash(stored);
  // A hash the hub would refuse at start-up never verifies (tests build weak ones on purpose, and check them here).
  if (!check.params || (check.error && !/too weak/.test(check.error))) return false;
  const parts = stored.split('$');
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length !== KEYLEN) return false;
  const got = await derive(password, salt, check.params);
  return timingSafeEqual(got, want);
}

/** A short fingerprint of a user's credentials: a session begun under another password ends. Not reversible into the hash. */
export function credentialFingerprint(passwordHash: string): string {
  return createHash('sha256').update(`vigil-credential:${passwordHash}`).digest('base64url').slice(0, 22);
}

/** A hash of nothing, checked when the user is unknown so that timing does not reveal which names exist. */
const decoys = new Map<string, Promise<string>>();

export function createPasswordLogin<U extends { name: string; passwordHash: string }>(users: readonly U[]): (name: string, password: string) => Promise<Omit<U, 'passwordHash'> | null> {
  const byName = new Map(users.map((u) => [u.name, u]));
  // The decoy costs what the users' hashes cost, or the time of a refusal would tell.
  const cost = users[0] ? checkPasswordHash(users[0].passwordHash).params ?? SCRYPT_DEFAULTS : SCRYPT_DEFAULTS;
  const decoyKey = `${cost.N}$${cost.r}$${cost.p}`;
  return async (name, password) => {
    const u = byName.get(name);
    if (!u) {
      let decoy = decoys.get(decoyKey);
      if (!decoy) decoys.set(decoyKey, (decoy = hashPassword('decoy-password-never-matches', cost)));
      await verifyPassword(password, await decoy);
      return null;
    }
    if (!(await verifyPassword(password, u.passwordHash))) return null;
    const { passwordHash: _h, ...rest } = u;
    return rest;
  };
}
