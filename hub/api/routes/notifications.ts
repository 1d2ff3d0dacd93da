import type { Hono } from 'hono';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';

import type { HubDeps } from '../deps.ts';
import { queryParams } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import { NOTIFICATION_STATES } from '../../store/schema-ops.ts';
import { siteScope } from '../site-scope.ts';

/** The webhook outbox: what went out, what is still being retried, and the dead letters. */
export function registerNotificationRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  route(app, { method: 'get', path: '/api/notifications', access: { permission: 'notifications.read' }, query: listQuery, summary: 'The webhook outbox: delivered, retrying and dead-lettered notifications.', responses: { 200: notificationsBody } }, async (c) => {
    const q = queryParams(c, listQuery);
    const list = await opsOf(deps).notifier.list({ sites: siteScope(c.get('user'), q.site), ...(q.state ? { state: q.state } : {}), ...(q.incident ? { incidentId: q.incident } : {}), limit: q.limit });
    return c.json({ notifications: list.map((n) => ({ ...n, nextAt: iso(n.nextAt), createdAt: iso(n.createdAt), deliveredAt: iso(n.deliveredAt) })) });
  });
}

const listQuery = z.object({ site: z.string().max(64).optional(), state: z.enum(NOTIFICATION_STATES).optional(), incident: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict();
const notificationsBody = z.object({ notifications: z.array(z.object({ id: z.string(), webhook: z.string(), event: z.string(), site: z.string(), incidentId: z.string().nullable(), state: z.enum(NOTIFICATION_STATES), attempts: z.number(), nextAt: z.string().nullable(), createdAt: z.string().nullable(), deliveredAt: z.string().nullable(), lastStatus: z.number().nullable(), lastError: z.string().nullable() })) });
