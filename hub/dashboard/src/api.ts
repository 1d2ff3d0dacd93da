/**
 * The hub API as the dashboard uses it: JSON in and out, a short-lived access
 * token renewed with the session's refresh token (both in sessionStorage, so
 * per tab and gone with it), and a one-use ticket to open the event stream.
 * Messages come in the user's language (Accept-Language).
 */
import { locale, t } from './i18n.ts';

export interface User { name: string; role: string; unit?: string; sites?: string[] }
const KEY = 'vigil.session';
interface Stored { token: string; expiresAt: number; refreshToken: string; user: User }

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function read(): Stored | null {
  try { return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Stored | null; } catch { return null; }
}
function store(body: { token: string; expiresAt: string; refreshToken: string; user: User }): void {
  sessionStorage.setItem(KEY, JSON.stringify({ token: body.token, expiresAt: Date.parse(body.expiresAt), refreshToken: body.refreshToken, user: body.user }));
}

export function session(): { token: string; user: User } | null {
  const s = read();
  return s ? { token: s.token, user: s.user } : null;
}

function forget(): void {
  sessionStorage.removeItem(KEY);
}

/** Ends the session on the hub too (its tokens stop working at once), then here. */
export function logout(): void {
  const s = read();
  forget();
  if (s) void fetch('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}`, ...languageHeader() } }).catch(quietly('logout'));
}

/** The hub answers errors in the language asked for: the user's choice. */
const languageHeader = () => ({ 'accept-language': locale() });

export async function login(name: string, password: string): Promise<User> {
  const res = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', ...languageHeader() }, body: JSON.stringify({ name, password }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message ?? t('ui.login.failed', { status: res.status }));
  store(body);
  return body.user as User;
}

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void { onUnauthorized = fn; }

/** One refresh at a time: a refresh token is spent by its first use, and a second use would end the session. */
let refreshing: Promise<boolean> | null = null;
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const s = read();
    if (!s) return false;
    const res = await fetch('/api/token/refresh', { method: 'POST', headers: { 'content-type': 'application/json', ...languageHeader() }, body: JSON.stringify({ refreshToken: s.refreshToken }) }).catch(() => null);
    if (!res?.ok) {
      // Unreachable hub: keep the session and try again later; refused: it has ended.
      if (res) { forget(); onUnauthorized(); }
      return false;
    }
    store(await res.json());
    return true;
  })().finally(() => { refreshing = null; });
  return refreshing;
}

/** A token good for the next minute, refreshed first if it is about to expire. */
async function freshToken(): Promise<string | null> {
  const s = read();
  if (!s) return null;
  if (s.expiresAt - Date.now() < 60_000) await refresh();
  return read()?.token ?? null;
}

/** A fresh bearer token and the user's language, on top of the request's own headers. */
async function authHeaders(init?: HeadersInit): Promise<Headers> {
  const headers = new Headers(init);
  const token = await freshToken();
  if (token) headers.set('authorization', `Bearer ${token}`);
  else headers.delete('authorization');
  headers.set('accept-language', locale());
  return headers;
}

export async function api<T = any>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  let body = init.body;
  const own = new Headers(init.headers);
  if (init.json !== undefined) { own.set('content-type', 'application/json'); body = JSON.stringify(init.json); }
  const send = async () => fetch(path, { ...init, headers: await authHeaders(own), body });
  let res = await send();
  // Expired early (a clock apart, a hub restart): one refresh, one retry.
  if (res.status === 401 && read() && (await refresh())) res = await send();
  if (res.status === 401) { forget(); onUnauthorized(); }
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
      const res = await fetch(path, { headers: await authHeaders() });
      if (!res.ok) throw new ApiError(res.status, `${path}: ${res.status}`);
      return URL.createObjectURL(await res.blob());
    })();
    p.catch(() => blobs.delete(path));
    blobs.set(path, p);
  }
  return p;
}

/** One current frame of a camera (the crowd picture's background), as a blob URL; the caller revokes it. */
export async function cameraFrameUrl(site: string, camera: string): Promise<string> {
  const res = await fetch(`/api/live/cameras/${encodeURIComponent(site)}/${encodeURIComponent(camera)}/frame`, { headers: await authHeaders() });
  if (!res.ok) throw new ApiError(res.status, `${res.status}`);
  return URL.createObjectURL(await res.blob());
}

/** A page the hub renders (a printable report) in a language, opened in a new window for printing. */
export async function openPrintable(path: string, lang: string): Promise<void> {
  const res = await fetch(`${path}?lang=${encodeURIComponent(lang)}`, { headers: await authHeaders() });
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
      const res = await fetch(`/api/live/cameras/${encodeURIComponent(site)}/${encodeURIComponent(camera)}/stream?fps=${fps}`, { headers: await authHeaders(), signal: ctl.signal });
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

/**
 * The hub's SSE stream, opened with a one-use ticket (EventSource cannot send
 * a header, and a token must not sit in a URL). A dropped stream cannot reuse
 * its ticket, so it is reopened here with a new one, backing off while the hub
 * is away.
 */
export function openStream(types: readonly string[], onEvent: (type: string, payload: any) => void, onState: (open: boolean) => void): () => void {
  let es: EventSource | null = null;
  let closed = false;
  let retryMs = 1000;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const reopen = () => {
    if (closed || timer) return;
    timer = setTimeout(() => { timer = null; void connect(); }, retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
  const connect = async () => {
    if (closed || !read()) return;
    let url: string;
    try {
      url = (await api<{ url: string }>('/api/stream/ticket', { method: 'POST' })).url;
    } catch (err) {
      onState(false);
      if (!(err instanceof ApiError && err.status === 401)) reopen();
      return;
    }
    if (closed) return;
    const source = new EventSource(url);
    es = source;
    source.onopen = () => { retryMs = 1000; onState(true); };
    source.onerror = () => {
      onState(false);
      // The browser would retry with the same (spent) ticket: close and reopen with a new one.
      source.close();
      if (es === source) es = null;
      reopen();
    };
    for (const t of types) source.addEventListener(t, (e) => { try { onEvent(t, JSON.parse((e as MessageEvent).data)); } catch { /* a malformed event is skipped */ } });
  };
  void connect();
  return () => { closed = true; if (timer) clearTimeout(timer); es?.close(); };
}

/** A background request that fails leaves the last good data on screen; the failure goes to the console, not nowhere. */
export function quietly(what: string): (err: unknown) => void {
  return (err) => console.warn(`vigil: ${what} failed`, err);
}
