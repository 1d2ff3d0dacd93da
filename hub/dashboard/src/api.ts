/** The hub API as the dashboard uses it: bearer token in sessionStorage, JSON in and out. */

export interface User { name: string; role: string; unit?: string }
const TOKEN_KEY = 'vigil.token';
const USER_KEY = 'vigil.user';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export function session(): { token: string; user: User } | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const user = sessionStorage.getItem(USER_KEY);
  return token && user ? { token, user: JSON.parse(user) as User } : null;
}

export function logout(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

export async function login(name: string, password: string): Promise<User> {
  const res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message ?? `login failed (${res.status})`);
  sessionStorage.setItem(TOKEN_KEY, body.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(body.user));
  return body.user as User;
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void { onUnauthorized = fn; }

export async function api<T = any>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const s = session();
  const headers = new Headers(init.headers);
  if (s) headers.set('authorization', `Bearer ${s.token}`);
  let body = init.body;
  if (init.json !== undefined) { headers.set('content-type', 'application/json'); body = JSON.stringify(init.json); }
  const res = await fetch(path, { ...init, headers, body });
  if (res.status === 401) { logout(); onUnauthorized(); }
  const text = await res.text();
  const data = text ? (() => { try { return JSON.parse(text); } catch { return { message: text }; } })() : {};
  if (!res.ok) throw new ApiError(res.status, data.message ?? `${res.status} ${res.statusText}`);
  return data as T;
}

/** Images behind the login (snapshots, plans) cannot be plain <img src>: fetch them and hand out blob URLs, once each. */
const blobs = new Map<string, Promise<string>>();
export function blobUrl(path: string): Promise<string> {
  let p = blobs.get(path);
  if (!p) {
    p = (async () => {
      const s = session();
      const res = await fetch(path, { headers: s ? { authorization: `Bearer ${s.token}` } : {} });
      if (!res.ok) throw new ApiError(res.status, `${path}: ${res.status}`);
      return URL.createObjectURL(await res.blob());
    })();
    p.catch(() => blobs.delete(path));
    blobs.set(path, p);
  }
  return p;
}

export function snapshotPath(ref: { bucket: string; name: string }): string {
  return `/api/snapshots/${encodeURIComponent(ref.bucket)}/${ref.name.split('/').map(encodeURIComponent).join('/')}`;
}

/** The hub's SSE stream; EventSource reconnects by itself and resumes from Last-Event-ID. */
export function openStream(types: readonly string[], onEvent: (type: string, payload: any) => void, onState: (open: boolean) => void): () => void {
  const s = session();
  if (!s) return () => {};
  const es = new EventSource(`/api/stream?token=${encodeURIComponent(s.token)}`);
  es.onopen = () => onState(true);
  es.onerror = () => onState(false);
  for (const t of types) es.addEventListener(t, (e) => { try { onEvent(t, JSON.parse((e as MessageEvent).data)); } catch { /* a malformed event is skipped */ } });
  return () => es.close();
}

/** A background request that fails leaves the last good data on screen; the failure goes to the console, not nowhere. */
export function quietly(what: string): (err: unknown) => void {
  return (err) => console.warn(`vigil: ${what} failed`, err);
}
