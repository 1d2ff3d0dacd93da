import { z } from 'zod';

/** Interface languages: every dashboard string, report and message exists in both. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * A name in other languages than the config's own `name`, shown to users who
 * read that language: `names: { en: "People's Square Interchange" }` beside
 * `name: 人民广场换乘站`.
 */
export const localNames = z.partialRecord(z.enum(LOCALES), z.string().min(1).max(200)).optional();

/** The name for `locale`: its own entry, else the config's `name`, else the id. */
export function localName(item: { id?: string; name?: string | undefined; names?: Partial<Record<Locale, string>> | undefined }, locale: Locale): string {
  return item.names?.[locale] ?? item.name ?? item.id ?? '';
}
