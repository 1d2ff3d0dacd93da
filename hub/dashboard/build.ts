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

/** Whether esbuild (a dev dependency) loads here: not in the production image, whose bundle was built at image build. */
export function canBuildDashboard(): Promise<boolean> {
  return import('esbuild').then(() => true, () => false);
}

async function isComplete(distDir: string): Promise<boolean> {
  const present = await Promise.all(DIST_FILES.map((f) => stat(path.join(distDir, f)).then(() => true, () => false)));
  return present.every(Boolean);
}

const pending = new Map<string, Promise<string>>();

/**
 * Once per process and folder: a fresh bundle is served as it is; a missing or
 * stale one is built where esbuild is installed. Without esbuild (the image
 * runs `npm ci --omit=dev`) a complete bundle is served from disk, as built at
 * image build; only a missing one is an error, which says how to build it.
 */
export function ensureDashboardBuilt(o: { distDir?: string; canBuild?: () => Promise<boolean> } = {}): Promise<string> {
  const distDir = o.distDir ?? DASHBOARD_DIST;
  let p = pending.get(distDir);
  if (!p) {
    p = (async () => {
      if (!(await isDashboardStale(distDir))) return distDir;
      if (await (o.canBuild ?? canBuildDashboard)()) { await buildDashboard({ distDir }); return distDir; }
      if (await isComplete(distDir)) return distDir;
      throw new Error(`${distDir} has no dashboard bundle and esbuild (a dev dependency) is not installed; build it first: node --import tsx hub/dashboard/build.ts`);
    })();
    pending.set(distDir, p);
    p.catch(() => { pending.delete(distDir); });
  }
  return p;
}

// `node --import tsx hub/dashboard/build.ts` builds by hand.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDashboard({ minify: !process.argv.includes('--dev') });
  process.stdout.write(`dashboard built in ${DASHBOARD_DIST}\n`);
}
