/**
 * The dashboard's language: the user's choice (kept in localStorage), else
 * the browser's languages, else Chinese. Every string on screen comes from the
 * catalogue (hub/i18n); a key missing from it shows as ⟦key⟧ and is recorded
 * in `window.__vigilMissing`, which the Chromium test reads.
 */
import { localName } from '../../../common/locale.ts';
import { LOCALES, pickLocale, translator, type Locale, type MessageKey, type MessageParams, type Translator } from '../../i18n/catalogue.ts';
import { formatDate, formatDateTime, formatTime } from '../../i18n/dates.ts';

export { LOCALES };
export type { Locale, MessageKey };
const KEY = 'vigil.lang';

const missing = new Set<string>();
(globalThis as { __vigilMissing?: string[] }).__vigilMissing = [];
const onMissing = (key: string, locale: string) => {
  const k = `${locale}:${key}`;
  if (missing.has(k)) return;
  missing.add(k);
  (globalThis as { __vigilMissing?: string[] }).__vigilMissing!.push(k);
  console.warn(`vigil: no ${locale} text for ${key}`);
};

function browserLanguages(): string[] {
  return typeof navigator === 'undefined' ? [] : [...(navigator.languages ?? [navigator.language])];
}

let current: Translator = translator(pickLocale(storedChoice(), browserLanguages()), { onMissing });

function storedChoice(): string | null {
  try { return typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY); } catch { return null; }
}

export function locale(): Locale { return current.locale; }
export function tr(): Translator { return current; }
export function t(key: MessageKey, params?: MessageParams): string { return current.t(key, params); }

/** The user's choice, kept for the next visit; the store re-renders everything after it. */
export function chooseLocale(l: Locale): void {
  try { localStorage.setItem(KEY, l); } catch { /* private mode: this visit only */ }
  current = translator(l, { onMissing });
  applyDocumentLanguage();
}

export function applyDocumentLanguage(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = current.locale;
}

/** A configured name (site, camera, zone, sensor, unit) in the reader's language. */
export function nameOf(item: { id?: string; name?: string | null; names?: Partial<Record<Locale, string>> | null } | null | undefined, fallback = ''): string {
  if (!item) return fallback;
  return localName({ ...(item.id ? { id: item.id } : {}), ...(item.name ? { name: item.name } : {}), ...(item.names ? { names: item.names } : {}) }, current.locale) || fallback;
}

/** Times in the site's zone, in the reader's language. */
export const clock = (ms: number, tz: string) => formatTime(ms, tz, current.locale);
export const dateTime = (ms: number, tz: string) => formatDateTime(ms, tz, current.locale);
export const date = (ms: number, tz: string) => formatDate(ms, tz, current.locale);
