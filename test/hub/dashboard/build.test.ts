import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboard, isDashboardStale } from '../../../hub/dashboard/build.ts';
import { dashboardHtml } from '../../../hub/dashboard/serve.ts';

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
});
