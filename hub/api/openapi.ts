import { z } from 'zod';
import { ROLE_MATRIX, TRANSITION_PERMISSION } from './roles.ts';
import { loginBody, logoutBody, refreshBody } from './routes/auth.ts';
import { alarmQuery } from './routes/alarms.ts';
import { activateBody, ackBody, incidentQuery, noteBody, transitionBody } from './routes/incidents.ts';
import { serviceBody, shelveBody } from './routes/suppressions.ts';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' });

function queryParamsOf(s: z.ZodObject) {
  const json = schema(s) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, sch]) => ({ name, in: 'query', required: json.required?.includes(name) ?? false, schema: sch }));
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const roles = (p: keyof typeof ROLE_MATRIX) => `Roles: ${[...ROLE_MATRIX[p], 'admin'].join(', ')}.`;
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const secured = { security: [{ bearer: [] }], responses: { 401: err('no or bad token'), 403: err('role not allowed') } };

/**
 * The OpenAPI document served at /api/openapi.json. Bodies and queries come from
 * the same zod schemas the routes validate with; paths are written by hand.
 * Extra paths (hub-ops routes) can be merged in through `extraPaths`.
 */
const extra: Record<string, Record<string, unknown>> = {};

/** Lets other route modules describe their paths properly (merged over the generated stubs). */
export function addOpenApiPaths(paths: Record<string, Record<string, unknown>>): void {
  for (const [p, ops] of Object.entries(paths)) extra[p] = { ...extra[p], ...ops };
}

/** Hono's `/api/units/:id` as OpenAPI's `/api/units/{id}`; a regex suffix (`:name{.+}`) is dropped. */
const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

/**
 * Every mounted route appears: those without a hand-written entry get a stub
 * naming the method and path, so the document never silently omits an endpoint.
 */
export function withMountedRoutes(doc: Record<string, unknown>, routes: readonly { method: string; path: string }[]): Record<string, unknown> {
  const paths = { ...(doc.paths as Record<string, Record<string, unknown>>) };
  for (const r of routes) {
    const method = r.method.toLowerCase();
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method) || r.path === '/*' || r.path === '*') continue;
    const p = toOpenApiPath(r.path);
    if (paths[p]?.[method]) continue;
    const params = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[p] = { ...paths[p], [method]: { summary: `${r.method} ${r.path}`, ...(params.length ? { parameters: params } : {}), ...(p.startsWith('/api/') ? secured : {}), responses: { ...(p.startsWith('/api/') ? secured.responses : {}), 200: { description: 'OK' } } } };
  }
  return { ...doc, paths };
}

export function openApiDocument(extraPaths: Record<string, unknown> = {}): Record<string, unknown> {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.0.3',
    info: { title: 'Vigil hub API', version: '1', description: 'Alarms, incidents and live changes. Log in with POST /api/login, then send `Authorization: Bearer <token>` (a short-lived access token, renewed with POST /api/token/refresh). Every request is checked against the user as configured now and against their site scope. The SSE stream takes a one-use `?ticket=` from POST /api/stream/ticket instead of a header. Error messages follow `?lang=` or Accept-Language (zh-CN or en); the `error` code is the same in both.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256)' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' }, field: { type: 'string', description: 'the bad field, on 400' } } },
      },
    },
    paths: {
      '/api/login': { post: { summary: 'Log in; returns a short-lived access token and a refresh token. Attempts are counted per name and per client address before the password is checked.', requestBody: { required: true, content: { 'application/json': { schema: schema(loginBody) } } }, responses: { 200: json('{ token, expiresAt, refreshToken, refreshExpiresAt, user }'), 400: err('bad body (names the field)'), 401: err('wrong name or password'), 429: err('locked for a while, or too many logins being checked now (Retry-After)') } } },
      '/api/token/refresh': { post: { summary: 'Trade a refresh token for a new access token and the next refresh token (each refresh token works once; reusing one ends the session)', requestBody: { required: true, content: { 'application/json': { schema: schema(refreshBody) } } }, responses: { 200: json('{ token, expiresAt, refreshToken, refreshExpiresAt, user }'), 401: err('the session has ended') } } },
      '/api/logout': { post: { summary: 'End this session (or all of the user\'s with {all: true}); its tokens stop working at once', requestBody: { required: false, content: { 'application/json': { schema: schema(logoutBody) } } }, ...secured, responses: { ...secured.responses, 200: json('{ ok: true }') } } },
      '/api/stream/ticket': { post: { summary: 'A one-use ticket, valid 60 s, to open /api/stream?ticket=…', ...secured, responses: { ...secured.responses, 200: json('{ ticket, expiresAt, url }') } } },
      '/api/me': { get: { summary: 'The logged-in user', ...secured, responses: { ...secured.responses, 200: json('user') } } },
      '/health': { get: { summary: 'Health of the store, NATS and ingest (no login; says what is down, never why)', responses: { 200: json('healthy'), 503: json('unhealthy') } } },
      '/metrics': { get: { summary: `Prometheus metrics. ${roles('metrics.read')}, or the scrape token (hub.yaml metrics.token) as a bearer token`, ...secured, responses: { ...secured.responses, 200: { description: 'text exposition format' } } } },
      '/api/alarms': { get: { summary: `List alarms, newest first. ${roles('alarms.read')}`, parameters: queryParamsOf(alarmQuery), ...secured, responses: { ...secured.responses, 200: json('{ alarms: [...] }'), 400: err('bad query parameter (named)') } } },
      '/api/alarms/{id}': { get: { summary: `One alarm. ${roles('alarms.read')}`, parameters: [idParam], ...secured, responses: { ...secured.responses, 200: json('{ alarm }'), 404: err('no such alarm') } } },
      '/api/dead-letters': { get: { summary: `Alarms refused by ingest, with the reason. ${roles('deadletters.read')}`, ...secured, responses: { ...secured.responses, 200: json('{ deadLetters: [...] }') } } },
      '/api/incidents': { get: { summary: `List incidents, newest first. ${roles('incidents.read')}`, parameters: queryParamsOf(incidentQuery), ...secured, responses: { ...secured.responses, 200: json('{ incidents: [...] }'), 400: err('bad query parameter (named)') } } },
      '/api/incidents/{id}': { get: { summary: `An incident with its alarms, audit trail and merged timeline. ${roles('incidents.read')}`, parameters: [idParam], ...secured, responses: { ...secured.responses, 200: json('{ incident, alarms, audit, timeline }'), 404: err('no such incident') } } },
      '/api/incidents/{id}/transition': {
        post: {
          summary: 'Move an incident along its lifecycle (open → acknowledged → dispatched → on_scene → resolved → closed; false_alarm, cancelled). Roles by target: ' +
            Object.entries(TRANSITION_PERMISSION).map(([to, p]) => `${to}: ${[...ROLE_MATRIX[p], 'admin'].join('/')}`).join('; '),
          parameters: [idParam], requestBody: { required: true, content: { 'application/json': { schema: schema(transitionBody) } } }, ...secured,
          responses: { ...secured.responses, 200: json('{ incident }'), 400: err('bad body (names the field)'), 404: err('no such incident'), 409: err('transition not allowed from the current status') },
        },
      },
      '/api/incidents/{id}/notes': { post: { summary: `Add a note to the audit trail. ${roles('incidents.field')}`, parameters: [idParam], requestBody: { required: true, content: { 'application/json': { schema: schema(noteBody) } } }, ...secured, responses: { ...secured.responses, 201: json('ok'), 400: err('bad body'), 404: err('no such incident') } } },
      '/api/incidents/{id}/plan': { post: { summary: `Activate the emergency plan for an incident with a level (I–IV) and a note; the plan's clocks (on scene 30 min, reports 1 h and 2 h) start now. Activating again changes the level only. Audited. ${roles('plan.activate')}`, parameters: [idParam], requestBody: { required: true, content: { 'application/json': { schema: schema(activateBody) } } }, ...secured, responses: { ...secured.responses, 200: json('{ incident }'), 400: err('bad level'), 409: err('the incident is finished') } } },
      '/api/incidents/{id}/ack': { post: { summary: `Acknowledge an incident and every alarm of it (stops its escalation; an open incident becomes acknowledged). ${roles('alarms.ack')}`, parameters: [idParam], requestBody: { content: { 'application/json': { schema: schema(ackBody) } } }, ...secured, responses: { ...secured.responses, 200: json('{ incident, acknowledgedAlarms }') } } },
      '/api/alarms/{id}/ack': { post: { summary: `Acknowledge one alarm (of one of the login\'s sites). ${roles('alarms.ack')}`, parameters: [idParam], ...secured, responses: { ...secured.responses, 200: json('{ ok, alarmId, incidentId, changed }'), 404: err('no such alarm') } } },
      '/api/escalations': { get: { summary: `Incidents not acknowledged within the site policy's limit, escalated to the commander role. ${roles('incidents.read')}`, ...secured, responses: { ...secured.responses, 200: json('{ escalations: [...] }') } } },
      '/api/suppressions/shelve': { post: { summary: `Shelve a camera's or sensor's alarms (optionally one kind) for at most 8 h; they return by themselves. ${roles('alarms.shelve')}`, requestBody: { required: true, content: { 'application/json': { schema: schema(shelveBody) } } }, ...secured, responses: { ...secured.responses, 201: json('{ suppression }'), 400: err('bad source, minutes or reason') } } },
      '/api/suppressions/out-of-service': { post: { summary: `Put a camera or sensor out of service, with a reason, until it is returned. ${roles('sources.service')}`, requestBody: { required: true, content: { 'application/json': { schema: schema(serviceBody) } } }, ...secured, responses: { ...secured.responses, 201: json('{ suppression }') } } },
      '/api/alarm-rates': { get: { summary: `Alarms presented per 10 minutes (per operator position), peak and flood periods against the ISA-18.2 targets, and acknowledgements per user. ${roles('alarms.rates')}`, ...secured, responses: { ...secured.responses, 200: json('{ rates }') } } },
      '/api/notifications': { get: { summary: `The webhook outbox: delivered, retrying and dead-lettered notifications. ${roles('notifications.read')}`, ...secured, responses: { ...secured.responses, 200: json('{ notifications: [...] }') } } },
      '/api/stream': { get: { summary: `Server-sent events: alarm.ingested, incident.created, incident.updated, and hub-ops events; filtered by role and site. Opened with ?ticket= (POST /api/stream/ticket). ${roles('stream.read')}`, parameters: [{ name: 'ticket', in: 'query', required: true, schema: { type: 'string' } }], ...secured, responses: { ...secured.responses, 200: { description: 'text/event-stream' } } } },
      '/api/sites': { get: { summary: 'Configured sites (any login)', ...secured, responses: { ...secured.responses, 200: json('{ sites: [...] }') } } },
      '/api/openapi.json': { get: { summary: 'This document (any login)', ...secured, responses: { ...secured.responses, 200: json('OpenAPI 3.0') } } },
      ...extra,
      ...extraPaths,
    },
  };
}
