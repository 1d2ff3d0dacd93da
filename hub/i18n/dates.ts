import type { Locale } from '../../common/locale.ts';

/**
 * Times as people on site read them: in the site's time zone (never the
 * browser's or UTC), 24-hour, in the reader's language.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: Locale, timeZone: string, style: 'time' | 'datetime' | 'date'): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    const base: Intl.DateTimeFormatOptions = { timeZone, hourCycle: 'h23' };
    const opts: Intl.DateTimeFormatOptions = style === 'time' ? { ...base, hour: '2-digit', minute: '2-digit', second: '2-digit' }
      : style === 'date' ? { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }
      : { ...base, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' };
    f = new Intl.DateTimeFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', opts);
    formatters.set(key, f);
  }
  return f;
}

export function formatTime(ms: number, timeZone: string, locale: Locale = 'en'): string {
  return formatter(locale, timeZone, 'time').format(ms);
}

export function formatDateTime(ms: number, timeZone: string, locale: Locale = 'en'): string {
  return formatter(locale, timeZone, 'datetime').format(ms);
}

export function formatDate(ms: number, timeZone: string, locale: Locale = 'en'): string {
  return formatter(locale, timeZone, 'date').format(ms);
}
