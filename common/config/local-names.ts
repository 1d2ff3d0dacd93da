import { z } from 'zod';
import { LOCALES } from '../locale.ts';

/**
 * A name in other languages than the config's own `name`, shown to users who
 * read that language: `names: { en: "People's Square Interchange" }` beside
 * `name: 人民广场换乘站`.
 */
export const localNames = z.partialRecord(z.enum(LOCALES), z.string().min(1).max(200)).optional();
