import type { z } from 'zod';
import { responsesOf, routeSpecsOf, type RouteSpec } from '../../../hub/api/route-spec.ts';

/** The spec Hono would match first (registration order) for a method and URL, if any. */
export function specFor(app: object, method: string, url: string): RouteSpec | undefined {
  const path = new URL(url, 'http://hub').pathname;
  return routeSpecsOf(app).find((s) => s.method === method.toLowerCase()
    && new RegExp(`^${s.path.replace(/:[A-Za-z0-9_]+\{\.\+\}/g, '.+').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`).test(path));
}

/**
 * Throws unless a real response is one its route declares and its JSON body
 * fits the declared schema: route tests run every answer they get through
 * this, so the OpenAPI document is checked against real traffic.
 */
export function assertDeclaredResponse(app: object, method: string, url: string, status: number, body: unknown): void {
  const spec = specFor(app, method, url);
  if (!spec) return; // no route: the app's 404 for unknown paths
  const declared = responsesOf(spec)[status];
  if (!declared) throw new Error(`${method} ${url} answered ${status}, which ${spec.method} ${spec.path} does not declare`);
  if ('mediaType' in declared) return;
  const r = (declared as z.ZodType).safeParse(body);
  if (!r.success) throw new Error(`${method} ${url} ${status}: the body does not fit the declared schema: ${JSON.stringify(r.error.issues.slice(0, 3))}`);
}
