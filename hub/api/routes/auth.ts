import type { Hono } from 'hono';
import { z } from 'zod';
import { HTTPException } from 'hono/http-exception';
import { issueToken, type HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody } from '../validate.ts';
import { createLoginLimiter } from '../login-limiter.ts';
import { translator } from '../../i18n/catalogue.ts';

export const loginBody = z.object({
  name: z.string().min(1).max(128),
  password: z.string().min(1).max(1024),
}).strict();

export function registerAuthRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const limiter = createLoginLimiter({ now: () => deps.clock.now() });
  app.post('/api/login', async (c) => {
    const body = await jsonBody(c, loginBody);
    const wait = limiter.lockedFor(body.name);
    if (wait > 0) {
      deps.logger.warn('login refused: too many failures', { user: body.name });
      return c.json({ error: 'too_many_attempts', message: translator(c.get('locale')).t('error.too_many_attempts', { name: body.name, seconds: String(Math.ceil(wait / 1000)) }) }, 429, { 'retry-after': String(Math.ceil(wait / 1000)) });
    }
    const user = await deps.auth.login(body.name, body.password);
    if (!user) {
      limiter.failed(body.name);
      deps.logger.warn('login refused', { user: body.name });
      throw new HTTPException(401, { message: 'wrong name or password' });
    }
    limiter.succeeded(body.name);
    const { token, expiresAt } = await issueToken(user, deps.config.jwtSecret, deps.clock.now(), deps.config.tokenTtlS);
    deps.logger.info('login', { user: user.name, role: user.role });
    return c.json({ token, tokenType: 'Bearer', expiresAt: new Date(expiresAt).toISOString(), user });
  });

  app.get('/api/me', (c) => c.json({ user: c.get('user') }));
}
