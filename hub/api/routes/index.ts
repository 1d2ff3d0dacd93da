import type { Hono } from 'hono';
import type { HubEnv } from '../auth.ts';
import type { HubDeps } from '../deps.ts';
import { registerAuthRoutes } from './auth.ts';
import { registerAlarmRoutes } from './alarms.ts';
import { registerIncidentRoutes } from './incidents.ts';
import { registerStreamRoutes } from './stream.ts';
import { registerMetaRoutes } from './meta.ts';
import { registerUnitRoutes } from './units.ts';
import { registerDispatchRoutes } from './dispatch.ts';
import { registerReportRoutes } from './reports.ts';
import { registerDrillRoutes } from './drills.ts';
import { registerSuppressionRoutes } from './suppressions.ts';
import { registerNotificationRoutes } from './notifications.ts';

export type RouteModule = (app: Hono<HubEnv>, deps: HubDeps) => void;

/**
 * Each module mounts its own paths under /api and checks a permission of the
 * one role matrix (roles.ts) per route.
 * These run on any runtime (Node, Deno); the Node-only modules that read files
 * or spawn processes (live, replay, the dashboard bundle) are mounted by the
 * hub process from hub/node-routes.ts.
 */
export const ROUTE_MODULES: readonly RouteModule[] = [
  registerAuthRoutes,
  registerMetaRoutes,
  registerAlarmRoutes,
  registerIncidentRoutes,
  registerStreamRoutes,
  registerUnitRoutes,
  registerDispatchRoutes,
  registerReportRoutes,
  registerDrillRoutes,
  registerSuppressionRoutes,
  registerNotificationRoutes,
];

export function registerRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  for (const register of ROUTE_MODULES) register(app, deps);
}
