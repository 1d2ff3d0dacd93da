import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { StoreError, ValidationError, errorMessage } from '../../common/errors.ts';
import { parseAcceptLanguage, pickLocale, translator } from '../i18n/catalogue.ts';
import type { HubEnv } from './auth.ts';
import { errorResponse, internalError } from './error-response.ts';
import { sessionGate } from './sessions.ts';
import { hasScrapeToken } from './scrape-token.ts';
import type { HubDeps } from './deps.ts';
import { registerRoutes, type RouteModule } from './routes/index.ts';

/** Paths reachable without a login. */
export const PUBLIC_PATHS = new Set(['/api/login', '/api/token/refresh', '/health', '/api/health']);
const STREAM_PATH = '/api/stream';
export const METRICS_PATH = '/metrics';
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
  // The language of messages: `?lang=` (links, prints), else Accept-Language (the dashboard sends the user's choice), else English.
  app.use('*', async function chooseLocale(c, next) {
    c.set('locale', pickLocale(c.req.query('lang'), parseAcceptLanguage(c.req.header('accept-language')), 'en'));
    await next();
  });
  app.use('*', cors({
    origin: (origin) => (origins.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept-Language'],
    maxAge: 600,
  }));
  const limitBody = bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: (c) => c.json({ error: 'payload_too_large', message: translator(c.get('locale') ?? 'en').t('error.payload_too_large', { limit: String(config.bodyLimitBytes) }) }, 413),
  });
  // Routes listed in LARGE_BODY_PATHS (video uploads) apply their own, larger bodyLimit.
  app.use('*', async function limitRequestBody(c, next) {
    return LARGE_BODY_PATHS.has(c.req.path) ? next() : limitBody(c, next);
  });
  const auth = sessionGate(deps, { ticketPaths: [STREAM_PATH] });
  app.use('*', async function requireLogin(c, next) {
    if (PUBLIC_PATHS.has(c.req.path) || c.req.method === 'OPTIONS' || !isApiPath(c.req.path)) return next();
    if (c.req.path === METRICS_PATH && hasScrapeToken(c, config.metricsToken)) { c.set('scraper', true); return next(); }
    return auth(c, next);
  });

  registerRoutes(app, deps);
  for (const register of options.extraRoutes ?? []) register(app, deps);

  app.notFound((c) => {
    const lang = c.get('locale') ?? 'en';
    return c.json({ error: 'not_found', message: lang === 'en' ? `no route ${c.req.method} ${c.req.path}` : translator(lang).t('error.no_route', { method: c.req.method, path: c.req.path }) }, 404);
  });
  app.onError((err, c) => {
    const locale = c.get('locale') ?? 'en';
    const known = errorResponse(err, locale);
    if (known) {
      if (err instanceof StoreError && err.code !== 'STORE_CONFLICT') logger.error('store error in API', { path: c.req.path, err });
      return c.json(known.body, known.status as 400);
    }
    logger.error('unhandled API error', { path: c.req.path, method: c.req.method, err: errorMessage(err) });
    return c.json(internalError(locale), 500);
  });
  return app;
}

/** Everything the API serves sits under /api, plus /metrics; other paths (the dashboard) are public files. */
function isApiPath(path: string): boolean {
  return path === METRICS_PATH || path === '/api' || path.startsWith('/api/');
}
