import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { HTTPException } from 'hono/http-exception';
import { StoreError, TransitionError, ValidationError, errorMessage } from '../../common/errors.ts';
import { NotFoundError } from '../store/not-found.ts';
import type { HubEnv } from './auth.ts';
import { sessionGate } from './sessions.ts';
import type { HubDeps } from './deps.ts';
import { registerRoutes, type RouteModule } from './routes/index.ts';

/** Paths reachable without a login. */
export const PUBLIC_PATHS = new Set(['/api/login', '/api/token/refresh', '/health', '/api/health']);
const STREAM_PATH = '/api/stream';
/** Paths whose route sets its own body limit (engineers' replay clip uploads). */
export const LARGE_BODY_PATHS = new Set(['/api/replay/uploads']);

/**
 * The hub's HTTP API. Secure by default: secure headers, a body limit, a CORS
 * allowlist (never '*') and a login on every route except login and health.
 */
export interface HubAppOptions {
  /** more route modules from the host (the dashboard's pages, for example), mounted after the API */
  extraRoutes?: readonly RouteModule[];
}

export function createHubApp(deps: HubDeps, options: HubAppOptions = {}): Hono<HubEnv> {
  const { config, logger } = deps;
  if (config.corsOrigins.some((o) => o === '*' || o.includes('*'))) throw new ValidationError('cors.origins', 'must list exact origins; "*" is not allowed');
  const origins = new Set(config.corsOrigins);
  const app = new Hono<HubEnv>();

  app.use('*', secureHeaders());
  app.use('*', cors({
    origin: (origin) => (origins.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  }));
  const limitBody = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: (c) => c.json({ error: 'payload_too_large', message: `request body exceeds ${config.bodyLimitBytes} bytes` }, 413),
  });
  // Routes listed in LARGE_BODY_PATHS (video uploads) apply their own, larger bodyLimit.
  app.use('*', async function limitRequestBody(c, next) {
    return LARGE_BODY_PATHS.has(c.req.path) ? next() : limitBody(c, next);
  });
  const auth = sessionGate(deps, { ticketPaths: [STREAM_PATH] });
  app.use('*', async function requireLogin(c, next) {
    if (PUBLIC_PATHS.has(c.req.path) || c.req.method === 'OPTIONS' || !isApiPath(c.req.path)) return next();
    return auth(c, next);
  });

  registerRoutes(app, deps);
  for (const register of options.extraRoutes ?? []) register(app, deps);

  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => {
    if (err instanceof ValidationError) return c.json({ error: 'validation', field: err.field, message: err.message }, 400);
    if (err instanceof TransitionError) return c.json({ error: 'transition', from: err.from, to: err.to, message: err.message }, 409);
    if (err instanceof NotFoundError) return c.json({ error: 'not_found', message: err.message }, 404);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 413 ? 'payload_too_large' : 'http_error';
      return c.json({ error: code, message: err.message }, status);
    }
    if (err instanceof StoreError && err.code === 'STORE_CONFLICT') return c.json({ error: 'conflict', message: err.message }, 409);
    if (err instanceof StoreError) {
      logger.error('store error in API', { path: c.req.path, err });
      return c.json({ error: 'unavailable', message: 'the store is unavailable; try again' }, 503);
    }
    logger.error('unhandled API error', { path: c.req.path, method: c.req.method, err: errorMessage(err) });
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  });
  return app;
}

/** Everything the API serves sits under /api, plus /metrics; other paths (the dashboard) are public files. */
function isApiPath(path: string): boolean {
  return path === '/metrics' || path === '/api' || path.startsWith('/api/');
}
