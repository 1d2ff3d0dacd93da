import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Hono } from 'hono';
import type { HubEnv } from '../api/auth.ts';
import type { HubDeps } from '../api/deps.ts';
import { route } from '../api/route-spec.ts';
import { errorBody } from '../api/response-schemas.ts';
import { ensureDashboardBuilt } from './build.ts';

/** The dashboard talks only to its own hub: no CDN, no third-party anything. */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Leaflet and uPlot position elements with inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_TYPES: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<noscript>The Vigil dashboard needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`;
}

/**
 * Serves the single-page dashboard at `/` (the views use hash routes) and its
 * bundle under /assets. Both are public files; every figure they show comes
 * from /api behind the login. The bundle is built at start-up when missing or
 * stale and esbuild is installed; otherwise the prebuilt one is served from disk.
 */
export function registerDashboardRoutes(app: Hono<HubEnv>, deps: Pick<HubDeps, 'logger'>, bundle: { distDir?: string; canBuild?: () => Promise<boolean> } = {}): void {
  const built = ensureDashboardBuilt(bundle);
  built.catch((err) => deps.logger.error('dashboard build failed', { err: (err as Error).message }));

  route(app, { method: 'get', path: '/', access: 'public', summary: 'The dashboard page (a public file; its figures come from /api behind the login).', responses: { 200: { mediaType: 'text/html', description: 'the page' } } }, (c) => c.html(dashboardHtml(), 200, { 'content-security-policy': PAGE_CSP, 'cache-control': 'no-cache' }));

  route(app, { method: 'get', path: '/assets/:file', access: 'public', summary: 'The dashboard bundle.', responses: { 200: { mediaType: 'application/javascript', description: 'a bundle file (or its CSS)' }, 404: errorBody, 503: { mediaType: 'text/plain', description: 'the bundle could not be built' } } }, async (c) => {
    const file = c.req.param('file');
    const type = ASSET_TYPES[file];
    if (!type) return c.json({ error: 'not_found', message: `no asset ${file}` }, 404);
    let dist: string;
    try { dist = await built; } catch (err) {
      return c.text(`the dashboard bundle could not be built: ${(err as Error).message}`, 503);
    }
    const body = await readFile(path.join(dist, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache' });
  });
}
