import { z } from 'zod';
import { ROLE_MATRIX } from './roles.ts';
import { NAMED_SCHEMAS } from './response-schemas.ts';
import { responsesOf, type ResponseSpec, type RouteSpec } from './route-spec.ts';

/**
 * The OpenAPI document served at /api/openapi.json, built only from the route
 * specs (route-spec.ts): every request part and response comes from the zod
 * schemas mounted with the route, so the document cannot describe a route
 * that is not there, nor leave one out.
 */
const requestSchema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' });
const COMPONENTS = '#/components/schemas/';

/** A response schema whose named records (NAMED_SCHEMAS) are references into components/schemas. */
function responseSchema(s: z.ZodType): object {
  const named = NAMED_SCHEMAS.get(s)?.id;
  if (named) return { $ref: COMPONENTS + named };
  const { definitions: _inComponents, ...json } = z.toJSONSchema(s, { target: 'openapi-3.0', io: 'output', unrepresentable: 'any', metadata: NAMED_SCHEMAS }) as Record<string, unknown>;
  return JSON.parse(JSON.stringify(json).replaceAll('"#/definitions/', `"${COMPONENTS}`)) as object;
}

function components(): Record<string, object> {
  const { schemas } = z.toJSONSchema(NAMED_SCHEMAS, { target: 'openapi-3.0', io: 'output', unrepresentable: 'any', uri: (id) => COMPONENTS + id });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, ...json }]) => [id, json]));
}

/** Hono's `/api/units/:id` as OpenAPI's `/api/units/{id}`; a regex suffix (`:name{.+}`) is dropped. */
export const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

const isRaw = (r: ResponseSpec): r is Exclude<ResponseSpec, z.ZodType> => 'mediaType' in r;

function parametersOf(spec: RouteSpec, where: 'path' | 'query', s: z.ZodObject | undefined) {
  const names = where === 'path' ? [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!) : [];
  const json = (s ? requestSchema(s) : { properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])), required: names }) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({ name, in: where, required: where === 'path' || (json.required?.includes(name) ?? false), schema }));
}

function responseOf(status: number, r: ResponseSpec) {
  if (isRaw(r)) return { description: r.description, content: { [r.mediaType]: { schema: { type: 'string', format: 'binary' } } } };
  return { description: status < 300 ? 'OK' : 'error', content: { 'application/json': { schema: responseSchema(r) } } };
}

function accessText(spec: RouteSpec): string {
  const a = spec.access;
  if (a === 'public') return 'No login.';
  if (a === 'login') return 'Any login.';
  return `Roles: ${[...ROLE_MATRIX[a.permission], 'admin'].join(', ')}${a.orScrapeToken ? ', or the scrape token (hub.yaml metrics.token) as a bearer token' : ''}.`;
}

export function operationOf(spec: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(responsesOf(spec))) responses[status] = responseOf(Number(status), r);
  const body = spec.body
    ? { requestBody: { required: !spec.bodyOptional, content: { 'application/json': { schema: requestSchema(spec.body) } } } }
    : spec.rawBody ? { requestBody: { required: true, description: spec.rawBody.description, content: { [spec.rawBody.mediaType]: { schema: { type: 'string', format: 'binary' } } } } } : {};
  const parameters = [...parametersOf(spec, 'path', spec.params), ...parametersOf(spec, 'query', spec.query)];
  return {
    summary: `${spec.summary} ${accessText(spec)}`,
    ...(parameters.length ? { parameters } : {}),
    ...body,
    ...(spec.access === 'public' ? {} : { security: [{ bearer: [] }] }),
    responses,
  };
}

export function openApiDocument(specs: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) (paths[toOpenApiPath(spec.path)] ??= {})[spec.method] = operationOf(spec);
  return {
    openapi: '3.0.3',
    info: { title: 'Vigil hub API', version: '1', description: 'Alarms, incidents and live changes. Log in with POST /api/login, then send `Authorization: Bearer <token>` (a short-lived access token, renewed with POST /api/token/refresh). Every request is checked against the user as configured now and against their site scope. The SSE stream takes a one-use `?ticket=` from POST /api/stream/ticket instead of a header. Error messages follow `?lang=` or Accept-Language (zh-CN or en); the `error` code is the same in both.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256)' } },
      schemas: components(),
    },
    paths,
  };
}
