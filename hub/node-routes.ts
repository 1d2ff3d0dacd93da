import type { RouteModule } from './api/routes/index.ts';
import { registerLiveRoutes } from './api/routes/live.ts';
import { registerReplayRoutes } from './api/routes/replay.ts';
import { registerDashboardRoutes } from './dashboard/serve.ts';

/**
 * Routes that need Node (plan and snapshot files, replay subprocesses, the
 * dashboard bundle on disk). hub-node mounts them beside the runtime-neutral
 * API, so that hub/api itself still runs on Deno.
 */
export const NODE_ROUTE_MODULES: readonly RouteModule[] = [registerLiveRoutes, registerReplayRoutes, registerDashboardRoutes];
