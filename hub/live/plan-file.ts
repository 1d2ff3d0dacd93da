import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SiteConfig } from '../../common/config/site.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Finds a site's plan image. The config names it relative to the config file,
 * which the parsed config no longer knows; the host may say where each config
 * came from (`siteFiles`), else the plan is looked for beside the shipped sites.
 */
export function findPlanFile(site: SiteConfig, siteFiles: Readonly<Record<string, string>> = {}): string | null {
  const image = site.site.map?.image;
  if (!image) return null;
  if (path.isAbsolute(image)) return existsSync(image) ? image : null;
  const from = siteFiles[site.site.id];
  const dirs = [from ? path.dirname(from) : null, path.join(REPO_ROOT, 'fixtures/sites'), process.cwd()].filter((d): d is string => d !== null);
  for (const dir of dirs) {
    const p = path.resolve(dir, image);
    if (existsSync(p)) return p;
  }
  return null;
}

export const PLAN_TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };
