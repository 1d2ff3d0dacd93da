import type { Handler, Hono, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { can, type HubEnv, type Permission } from './auth.ts';
import { errorBody } from './response-schemas.ts';

/**
 * Who may call a route: no login (`public`), any login (`login`), or a
 * permission of the one role matrix. With `orScrapeToken` the /metrics scrape
 * token stands in for the permission (checked by the login gate in app.ts).
 */
export type RouteAccess = 'public' | 'login' | { permission: Permission; orScrapeToken?: true };

/** A response that is not JSON (images, video, SSE, HTML): its media type and what the bytes are. */
export interface RawResponse { mediaType: string; description: string }

export type ResponseSpec = z.ZodType | RawResponse;

/**
 * One route as the API documents it: method, Hono path, access, the request's
 * parts (the zod schemas the handler validates with) and each response.
 * The OpenAPI document (openapi.ts) is built from these and nothing else.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  access: RouteAccess;
  /** path parameters; defaults to one string per `:name` in the path */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** a JSON body; `bodyOptional` when an empty body means `{}` */
  body?: z.ZodType;
  bodyOptional?: boolean;
  /** a body that is not JSON (a video upload) */
  rawBody?: RawResponse;
  /** by status; errors other than those listed are added from access and request parts (401, 403, 400) */
  responses: Record<number, ResponseSpec>;
}

const specs = new WeakMap<object, RouteSpec[]>();

/** The specs of every route mounted on `app` through route(), in mounting order. */
export function routeSpecsOf(app: object): readonly RouteSpec[] {
  return specs.get(app) ?? [];
}

function gate(access: RouteAccess): MiddlewareHandler<HubEnv>[] {
  if (typeof access === 'string') return [];
  const check = can(access.permission);
  if (!access.orScrapeToken) return [check];
  return [async function scraperOrPermission(c, next) { return c.get('scraper') ? next() : check(c, next); }];
}

/**
 * Mounts a route and records its spec, so that what is documented is what is
 * mounted and what is checked: the permission in the spec is the one enforced.
 */
export function route<P extends string>(app: Hono<HubEnv>, spec: RouteSpec & { path: P }, ...handlers: Handler<HubEnv, P>[]): void {
  if (!Object.keys(spec.responses).some((s) => Number(s) < 300)) throw new Error(`route ${spec.method} ${spec.path}: no success response declared`);
  const list = specs.get(app) ?? [];
  list.push(spec);
  specs.set(app, list);
  app.on(spec.method.toUpperCase(), spec.path, ...([...gate(spec.access), ...handlers] as [Handler<HubEnv>]));
}

/**
 * Every response a route may give: those its spec declares, plus the errors
 * its access and request parts imply (401 and 403 behind a login, 400 when
 * there is a request part to get wrong, 413 for a body over the limit).
 */
export function responsesOf(spec: RouteSpec): Record<number, ResponseSpec> {
  const implied: Record<number, ResponseSpec> = {};
  if (spec.access !== 'public') Object.assign(implied, { 401: errorBody, 403: errorBody });
  if (spec.query || spec.body || spec.params || spec.rawBody) implied[400] = errorBody;
  // app.ts limits every body (hub.yaml api.bodyLimitBytes; uploads set their own limit).
  if (spec.body || spec.rawBody) implied[413] = errorBody;
  return { ...implied, ...spec.responses };
}
