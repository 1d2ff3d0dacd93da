/** Interface languages: every dashboard string, report and message exists in both. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** The name for `locale`: its own entry, else the config's `name`, else the id. */
export function localName(item: { id?: string; name?: string | undefined; names?: Partial<Record<Locale, string>> | undefined }, locale: Locale): string {
  return item.names?.[locale] ?? item.name ?? item.id ?? '';
}
