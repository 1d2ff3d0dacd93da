/**
 * Signed webhooks, as receivers of Stripe-style signatures expect:
 *
 *   X-Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The timestamp is inside the MAC, so a receiver that checks it against its
 * clock (within a tolerance) refuses a replayed delivery. WebCrypto, so that
 * it runs wherever the hub does.
 */
export const SIGNATURE_HEADER = 'x-vigil-signature';

const enc = new TextEncoder();
const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function hmac(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
}

export async function signWebhook(secret: string, body: string, atMs: number): Promise<string> {
  const t = Math.floor(atMs / 1000);
  return `t=${t},v1=${await hmac(secret, `${t}.${body}`)}`;
}

/** Constant-time comparison of two hex strings of the same length. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** What a receiver does: true when the header's MAC matches the body and its time is within `toleranceS` of `nowMs`. */
export async function verifyWebhook(secret: string, header: string | null | undefined, body: string, nowMs: number, toleranceS = 300): Promise<boolean> {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => { const i = p.indexOf('='); return [p.slice(0, i).trim(), p.slice(i + 1).trim()]; }));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || !parts.v1 || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  return sameHex(parts.v1, await hmac(secret, `${t}.${body}`));
}
