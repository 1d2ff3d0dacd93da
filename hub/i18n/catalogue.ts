import type { Locale } from '../../common/locale.ts';
import { formatMessage, type MessageParams } from './format.ts';
import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export { LOCALES, type Locale } from '../../common/locale.ts';
export type { MessageKey, MessageParams };

/** Every locale's catalogue. zh-CN is typed against en: a key missing from either fails the build. */
export const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = Object.freeze({ en, 'zh-CN': zhCN });

/**
 * A key that is not in the catalogue shows as ⟦key⟧: never as English in a
 * Chinese interface, and easy for a test (and a reviewer) to find.
 */
export const MISSING_OPEN = '⟦';
export const MISSING_CLOSE = '⟧';

export interface Translator {
  readonly locale: Locale;
  t(key: MessageKey, params?: MessageParams): string;
  /** for keys built from data (`kind.${kind}`): the message, or undefined so the caller can show the data itself */
  lookup(key: string, params?: MessageParams): string | undefined;
}

export function translator(locale: Locale, options: { onMissing?: (key: string, locale: Locale) => void } = {}): Translator {
  const cat = CATALOGUES[locale] as Readonly<Record<string, string>>;
  const lookup = (key: string, params?: MessageParams) => {
    const pattern = cat[key];
    return pattern === undefined ? undefined : formatMessage(pattern, params, locale);
  };
  return Object.freeze({
    locale,
    t(key: MessageKey, params?: MessageParams) {
      const v = lookup(key, params);
      if (v !== undefined) return v;
      options.onMissing?.(key, locale);
      return `${MISSING_OPEN}${key}${MISSING_CLOSE}`;
    },
    lookup,
  });
}

/** Accept-Language as an ordered list of tags (quality factors honoured). */
export function parseAcceptLanguage(header: string | null | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((part, i) => {
    const [tag, ...attrs] = part.trim().split(';');
    const q = attrs.map((a) => /^\s*q=([\d.]+)/.exec(a)?.[1]).find(Boolean);
    return { tag: tag!.trim(), q: q === undefined ? 1 : Number(q), i };
  }).filter((x) => x.tag && x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((x) => x.tag);
}

/** The user's choice when it is a locale we have; else the first of the browser's languages we speak; else zh-CN (the sites are in Shanghai). */
export function pickLocale(choice: string | null | undefined, accepted: readonly string[] = [], fallback: Locale = 'zh-CN'): Locale {
  const match = (tag: string): Locale | null => {
    const t = tag.toLowerCase();
    if (t === 'zh' || t.startsWith('zh-cn') || t.startsWith('zh-hans') || t.startsWith('zh-sg') || t === 'zh-hans-cn') return 'zh-CN';
    if (t.startsWith('zh')) return 'zh-CN';
    if (t === 'en' || t.startsWith('en-')) return 'en';
    return null;
  };
  if (choice) { const m = match(choice); if (m) return m; }
  for (const a of accepted) { const m = match(a); if (m) return m; }
  return fallback;
}
