import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_SRC = path.join(HERE, 'src');
export const DASHBOARD_DIST = path.join(HERE, 'dist');
/** The files a complete build leaves in dist. */
export const DIST_FILES = ['app.js', 'app.css'] as const;

/** Newest modification time under a directory (and of this script: a changed build is a stale build). */
async function newestMtime(dir: string): Promise<number> {
  let newest = (await stat(fileURLToPath(import.meta.url))).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** True when dist lacks a file or is older than the newest source file. */
export async function isDashboardStale(distDir = DASHBOARD_DIST): Promise<boolean> {
  let oldest = Infinity;
  for (const f of DIST_FILES) {
    try { oldest = Math.min(oldest, (await stat(path.join(distDir, f))).mtimeMs); } catch { return true; }
  }
  return oldest < (await newestMtime(DASHBOARD_SRC));
}

/**
 * Bundles the browser code with esbuild: preact, htm, Leaflet and uPlot all go
 * into app.js/app.css (images inlined), so the dashboard needs no network but
 * the hub. It builds into a temporary folder and renames each file into place,
 * so that a hub reading dist mid-build (or a second build) never sees half a file.
 */
export async function buildDashboard(options: { distDir?: string; minify?: boolean } = {}): Promise<void> {
  const distDir = options.distDir ?? DASHBOARD_DIST;
  // esbuild is a dev dependency: loaded only when a build is needed.
  const esbuild = await import('esbuild');
  await mkdir(distDir, { recursive: true });
  const tmp = await mkdtemp(path.join(distDir, '.build-'));
  try {
    await esbuild.build({
      entryPoints: { app: path.join(DASHBOARD_SRC, 'main.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome110', 'firefox110', 'safari16'],
      outdir: tmp,
      minify: options.minify ?? true,
      sourcemap: false,
      legalComments: 'none',
      loader: { '.png': 'dataurl', '.svg': 'dataurl' },
      logLevel: 'silent',
    });
    for (const f of DIST_FILES) await rename(path.join(tmp, f), path.join(distDir, f));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

let pending: Promise<string> | null = null;

/** Builds once per process when dist is missing or stale; resolves to the dist folder. */
export function ensureDashboardBuilt(): Promise<string> {
  pending ??= (async () => {
    if (await isDashboardStale()) await buildDashboard();
    return DASHBOARD_DIST;
  })();
  pending.catch(() => { pending = null; });
  return pending;
}

// `node --import tsx hub/dashboard/build.ts` builds by hand.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDashboard({ minify: !process.argv.includes('--dev') });
  process.stdout.write(`dashboard built in ${DASHBOARD_DIST}\n`);
}
