import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { buildDashboard, ensureDashboardBuilt, isDashboardStale } from '../../../hub/dashboard/build.ts';
import { dashboardHtml, registerDashboardRoutes } from '../../../hub/dashboard/serve.ts';
import type { HubEnv } from '../../../hub/api/auth.ts';
import { silentLogger } from '../../../common/log.ts';

describe('dashboard bundle', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-dist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds when missing, then counts as fresh, with everything inside (no network at run time)', async () => {
    expect(await isDashboardStale(dir)).toBe(true);
    await buildDashboard({ distDir: dir });
    expect(await isDashboardStale(dir)).toBe(false);
    const js = readFileSync(path.join(dir, 'app.js'), 'utf8');
    const css = readFileSync(path.join(dir, 'app.css'), 'utf8');
    // No module, stylesheet or font is fetched from elsewhere.
    expect(js).not.toMatch(/import\s*\(?\s*["']https?:/);
    expect(css).not.toMatch(/@import|url\(\s*["']?https?:/);
    expect(css).toMatch(/leaflet-container/);
    expect(css).toMatch(/uplot/);
    expect(dashboardHtml()).not.toMatch(/https?:\/\//);
  });

  it('is served from a prebuilt folder where esbuild is not installed (the image), even when the sources look newer', async () => {
    const prebuilt = mkdtempSync(path.join(tmpdir(), 'vigil-prebuilt-'));
    try {
      writeFileSync(path.join(prebuilt, 'app.js'), 'console.log("prebuilt");\n');
      writeFileSync(path.join(prebuilt, 'app.css'), '.prebuilt{}\n');
      // Older than every source file: a build would replace them, if one could run.
      for (const f of ['app.js', 'app.css']) utimesSync(path.join(prebuilt, f), 1, 1);
      let buildAsked = 0;
      const app = new Hono<HubEnv>();
      registerDashboardRoutes(app, { logger: silentLogger }, { distDir: prebuilt, canBuild: async () => { buildAsked++; return false; } });
      const js = await app.request('/assets/app.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(await js.text()).toBe('console.log("prebuilt");\n');
      expect(await (await app.request('/assets/app.css')).text()).toBe('.prebuilt{}\n');
      expect(buildAsked).toBe(1);
    } finally { rmSync(prebuilt, { recursive: true, force: true }); }
  });

  it('answers 503 saying how to build when there is no bundle and no esbuild', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'vigil-nobundle-'));
    try {
      await expect(ensureDashboardBuilt({ distDir: empty, canBuild: async () => false })).rejects.toThrow(/esbuild.*not installed.*hub\/dashboard\/build\.ts/);
      const app = new Hono<HubEnv>();
      registerDashboardRoutes(app, { logger: silentLogger }, { distDir: empty, canBuild: async () => false });
      const r = await app.request('/assets/app.js');
      expect(r.status).toBe(503);
    } finally { rmSync(empty, { recursive: true, force: true }); }
  });
});
