/**
 * Credentials must never reach a log line: cameras are commonly addressed as
 * rtsp://user:pass@host, and ffmpeg echoes its input URL in errors.
 */
// Everything up to the last "@" of the URL is user info: passwords are often typed raw, with "/" or "@"
// in them (rtsp://admin:p@ss/w0rd@cam), and stopping at the first one would print the rest.
// Over-masking a URL whose path holds an "@" is the safe side.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s"'<>]*@/gi;
/** Deeper than this, a logged value is not walked but replaced: an unmasked leaf must not slip through below. */
const MAX_DEPTH = 6;
const SECRET_KEYS = /pass(word)?|secret|token|credential|authorization|nkey|seed|jwt/i;

// Some cameras take their credentials in the stream URL's query instead (…/stream?user=admin&password=…).
const QUERY_SECRET = /([?&;](?:password|passwd|pass|pwd|token|auth|secret)=)[^&;#\s"']*/gi;

export function maskCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1***:***@').replace(QUERY_SECRET, '$1***');
}

/** Every leaf under a secret-looking key: a secret may be a structure ({ value }, { user, pass }). */
function maskAll(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'object' || depth > MAX_DEPTH) return '***';
  if (Array.isArray(value)) return value.map((v) => maskAll(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v, depth + 1)]));
}

/** Deep-copies a value for logging, masking URLs in strings and values under secret-looking keys. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskCredentials(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[nested too deep]';
  if (value instanceof Error) {
    return { name: value.name, message: maskCredentials(value.message), ...(value.cause ? { cause: maskValue(value.cause, depth + 1) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v != null && !(v instanceof Error) ? maskAll(v, depth + 1) : maskValue(v, depth + 1);
  }
  return out;
}
