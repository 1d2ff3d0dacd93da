import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { can, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { openApiDocument, withMountedRoutes } from '../openapi.ts';
import { maySeeSite } from '../site-scope.ts';

export function registerMetaRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const health = async (c: Context<HubEnv>) => {
    const report = await deps.health();
    return c.json(report, report.ok ? 200 : 503);
  };
  app.get('/health', health);
  app.get('/api/health', health);

  const mayReadMetrics = can('metrics.read');
  // The scrape token (checked by the login gate in app.ts) stands in for an engineer's login here only.
  app.get('/metrics', async (c, next) => (c.get('scraper') ? next() : mayReadMetrics(c, next)), async (c) => {
    if (!deps.metrics) throw new HTTPException(404, { message: 'metrics are not enabled' });
    const { contentType, body } = await deps.metrics();
    return c.body(body, 200, { 'content-type': contentType });
  });

  // Built on first request, when every module has mounted its routes.
  let doc: Record<string, unknown> | null = null;
  app.get('/api/openapi.json', (c) => c.json((doc ??= withMountedRoutes(openApiDocument(), app.routes))));

  app.get('/api/sites', (c) => c.json({
    sites: deps.sites.filter((s) => maySeeSite(c.get('user'), s.site.id)).map((s) => ({
      id: s.site.id, name: s.site.name, timezone: s.site.timezone, map: s.site.map ?? null,
      cameras: s.cameras.map((cam) => ({ id: cam.id, name: cam.name ?? null, position: cam.position ?? null, zones: cam.zones.map((z) => ({ id: z.id, name: z.name ?? null, areaM2: z.areaM2, map: z.map ?? null })) })),
      sensors: s.sensors.map((x) => ({ id: x.id, type: x.type, name: x.name ?? null, zone: x.zone ?? null, position: x.position ?? null })),
    })),
  }));
}
