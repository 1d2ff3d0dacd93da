import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { openApiDocument } from '../openapi.ts';
import { route, routeSpecsOf } from '../route-spec.ts';
import { errorBody } from '../response-schemas.ts';
import { maySeeSite } from '../site-scope.ts';

export function registerMetaRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const health = async (c: Context<HubEnv>) => {
    const report = await deps.health();
    return c.json(report, report.ok ? 200 : 503);
  };
  for (const path of ['/health', '/api/health']) {
    route(app, { method: 'get', path, access: 'public', summary: 'Health of the store, NATS and ingest (says what is down, never why).', responses: { 200: healthBody, 503: healthBody } }, health);
  }

  // The scrape token (checked by the login gate in app.ts) stands in for an engineer's login here only.
  route(app, {
    method: 'get', path: '/metrics', access: { permission: 'metrics.read', orScrapeToken: true }, summary: 'Prometheus metrics.',
    responses: { 200: { mediaType: 'text/plain', description: 'Prometheus text exposition format' }, 404: errorBody },
  }, async (c) => {
    if (!deps.metrics) throw new HTTPException(404, { message: 'metrics are not enabled' });
    const { contentType, body } = await deps.metrics();
    return c.body(body, 200, { 'content-type': contentType });
  });

  // Built on first request, when every module has mounted its routes.
  let doc: Record<string, unknown> | null = null;
  route(app, { method: 'get', path: '/api/openapi.json', access: 'login', summary: 'This document.', responses: { 200: z.object({ openapi: z.string(), info: z.object({}).loose(), paths: z.record(z.string(), z.unknown()) }).loose() } },
    (c) => c.json((doc ??= openApiDocument(routeSpecsOf(app)))));

  route(app, { method: 'get', path: '/api/sites', access: 'login', summary: 'Configured sites with their cameras, zones and sensors (those the login may see).', responses: { 200: sitesBody } }, (c) => c.json({
    sites: deps.sites.filter((s) => maySeeSite(c.get('user'), s.site.id)).map((s) => ({
      id: s.site.id, name: s.site.name, timezone: s.site.timezone, map: s.site.map ?? null,
      cameras: s.cameras.map((cam) => ({ id: cam.id, name: cam.name ?? null, position: cam.position ?? null, zones: cam.zones.map((z) => ({ id: z.id, name: z.name ?? null, areaM2: z.areaM2, map: z.map ?? null })) })),
      sensors: s.sensors.map((x) => ({ id: x.id, type: x.type, name: x.name ?? null, zone: x.zone ?? null, position: x.position ?? null })),
    })),
  }));
}

const healthBody = z.object({
  ok: z.boolean(), db: z.object({ ok: z.boolean() }), nats: z.object({ ok: z.boolean(), status: z.string() }),
  ingest: z.object({ running: z.boolean(), ackWaitMs: z.number().optional(), processed: z.number().optional(), deadLettered: z.number().optional() }).optional(),
}).describe('what is down, never why');
const mapPoint = z.unknown().describe('where on the site plan, as configured');
const sitesBody = z.object({
  sites: z.array(z.object({
    id: z.string(), name: z.string(), timezone: z.string(), map: z.object({ image: z.string().optional(), widthM: z.number(), heightM: z.number(), pixelsPerMeter: z.number().optional() }).nullable(),
    cameras: z.array(z.object({ id: z.string(), name: z.string().nullable(), position: mapPoint.nullable(), zones: z.array(z.object({ id: z.string(), name: z.string().nullable(), areaM2: z.number(), map: z.unknown().nullable() })) })),
    sensors: z.array(z.object({ id: z.string(), type: z.string(), name: z.string().nullable(), zone: z.string().nullable(), position: mapPoint.nullable() })),
  })),
});
