/** The hub API as the dashboard uses it: bearer token in sessionStorage, JSON in and out, messages in the user's language. */
import { locale, t } from './i18n.ts';

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

/** The hub answers errors in the language asked for: the user's choice. */
const languageHeader = () => ({ 'accept-language': locale() });

export async function login(name: string, password: string): Promise<User> {
  const res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', ...languageHeader() }, body: JSON.stringify({ name, password }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message ?? t('ui.login.failed', { status: res.status }));
  sessionStorage.setItem(TOKEN_KEY, body.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(body.user));
  return body.user as User;
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void { onUnauthorized = fn; }

function authHeaders(init?: HeadersInit): Headers {
  const s = session();
  const headers = new Headers(init);
  if (s) headers.set('authorization', `Bearer ${s.token}`);
  headers.set('accept-language', locale());
  return headers;
}

export async function api<T = any>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers = authHeaders(init.headers);
  let body = init.body;
  if (init.json !== undefined) { headers.set('content-type', 'application/json'); body = JSON.stringify(init.json); }
  const res = await fetch(path, { ...init, headers, body });
  if (res.status === 401) { logout(); onUnauthorized(); }
  const text = await res.text();
  const data = text ? (() => { try { return JSON.parse(text); } catch { return { message: text }; } })() : {};
  if (!res.ok) throw new ApiError(res.status, data.message ?? t('error.http', { status: res.status }));
  return data as T;
}

/** Images behind the login (snapshots, plans) cannot be plain <img src>: fetch them and hand out blob URLs, once each. */
const blobs = new Map<string, Promise<string>>();
export function blobUrl(path: string): Promise<string> {
  let p = blobs.get(path);
  if (!p) {
    p = (async () => {
      const res = await fetch(path, { headers: authHeaders() });
      if (!res.ok) throw new ApiError(res.status, `${path}: ${res.status}`);
      return URL.createObjectURL(await res.blob());
    })();
    p.catch(() => blobs.delete(path));
    blobs.set(path, p);
  }
  return p;
}

/** A page the hub renders (a printable report) in a language, opened in a new window for printing. */
export async function openPrintable(path: string, lang: string): Promise<void> {
  const res = await fetch(`${path}?lang=${encodeURIComponent(lang)}`, { headers: authHeaders() });
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({}))).message ?? t('error.http', { status: res.status }));
  const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
  const w = window.open(url, '_blank');
  w?.addEventListener('load', () => w.print(), { once: true });
}

export function snapshotPath(ref: { bucket: string; name: string }): string {
  return `/api/snapshots/${encodeURIComponent(ref.bucket)}/${ref.name.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * A camera's live view: the hub relays a motion-JPEG stream, which an <img>
 * cannot fetch with a bearer token, so it is read here and each JPEG handed
 * out as a blob URL. Returns a stop function.
 */
export function openLiveView(site: string, camera: string, onFrame: (url: string) => void, onError: (message: string) => void, fps = 2): () => void {
  const ctl = new AbortController();
  let last: string | null = null;
  void (async () => {
    try {
      const res = await fetch(`/api/live/cameras/${encodeURIComponent(site)}/${encodeURIComponent(camera)}/stream?fps=${fps}`, { headers: authHeaders(), signal: ctl.signal });
      if (!res.ok || !res.body) throw new ApiError(res.status, (await res.json().catch(() => ({}))).message ?? t('error.http', { status: res.status }));
      const reader = res.body.getReader();
      let buf = new Uint8Array(0);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const next = new Uint8Array(buf.length + value.length);
        next.set(buf); next.set(value, buf.length);
        buf = next;
        // Each part: headers, a blank line, Content-Length bytes of JPEG.
        for (;;) {
          const head = indexOf(buf, CRLFCRLF);
          if (head < 0) break;
          const headers = new TextDecoder().decode(buf.subarray(0, head));
          const len = Number(/Content-Length:\s*(\d+)/i.exec(headers)?.[1] ?? NaN);
          if (!Number.isFinite(len) || buf.length < head + 4 + len) break;
          const jpeg = buf.slice(head + 4, head + 4 + len);
          buf = buf.subarray(head + 4 + len);
          const url = URL.createObjectURL(new Blob([jpeg], { type: 'image/jpeg' }));
          onFrame(url);
          if (last) URL.revokeObjectURL(last);
          last = url;
        }
      }
    } catch (err) {
      if (!ctl.signal.aborted) onError((err as Error).message);
    }
  })();
  return () => { ctl.abort(); if (last) URL.revokeObjectURL(last); };
}
const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);
function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The hub's SSE stream; EventSource reconnects by itself and resumes from Last-Event-ID. */
export function openStream(types: readonly string[], onEvent: (type: string, payload: any) => void, onState: (open: boolean) => void): () => void {
  const s = session();
  if (!s) return () => {};
  const es = new EventSource(`/api/stream?token=${encodeURIComponent(s.token)}`);
  es.onopen = () => onState(true);
  es.onerror = () => onState(false);
  for (const type of types) es.addEventListener(type, (e) => { try { onEvent(type, JSON.parse((e as MessageEvent).data)); } catch { /* a malformed event is skipped */ } });
  return () => es.close();
}

/** A background request that fails leaves the last good data on screen; the failure goes to the console, not nowhere. */
export function quietly(what: string): (err: unknown) => void {
  return (err) => console.warn(`vigil: ${what} failed`, err);
}
