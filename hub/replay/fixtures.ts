import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE_DIR = path.join(REPO_ROOT, 'fixtures/.cache');
export const VIDEO_EXT = /\.(avi|mp4|mkv|mov|webm)$/i;

export interface ClipInfo {
  name: string;
  source: 'fixture' | 'upload';
  bytes: number;
  /** ground-truth file name beside the clip, when there is one */
  truth: string | null;
}

/**
 * Truth for `clip.mp4` is `clip.truth.json`; the composer also names the
 * negative truth of a borrowed clip `negative-<clip>.truth.json`.
 */
export function truthFileFor(dir: string, clip: string): string | null {
  const base = clip.replace(VIDEO_EXT, '');
  for (const t of [`${base}.truth.json`, `negative-${base}.truth.json`]) if (existsSync(path.join(dir, t))) return t;
  return null;
}

export function listClips(dir: string, source: ClipInfo['source']): ClipInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => VIDEO_EXT.test(f))
    .sort()
    .map((name) => ({ name, source, bytes: statSync(path.join(dir, name)).size, truth: truthFileFor(dir, name) }));
}

/** Clip names come from the URL: one plain file name, nothing that climbs out of the folder. */
export function safeClipName(name: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes('..') && VIDEO_EXT.test(name) ? name : null;
}
