import { checkConfig } from '../common/config/load.ts';
import type { HubPlugin } from './hub-node.ts';
import { createOps } from './dispatch/ops.ts';
import { incidentPortFrom } from './dispatch/incident-port.ts';
import { createDispatchPolicy } from './dispatch/policy.ts';
import { drillsConfigSchema } from './drills/planner.ts';

/**
 * hub-ops as a hub-node plugin: units and readiness, nearest-unit dispatch
 * with acknowledgement deadlines, report deadlines with overdue warnings, and
 * drills. It fills deps.ops for the API routes; its routes are always mounted.
 */
export const plugin: HubPlugin = {
  name: 'ops',
  async start(deps, { config, configFile }) {
    const { enabled, ...rules } = checkConfig(drillsConfigSchema, config.drills ?? {}, `${configFile} (drills)`);
    const ops = createOps({
      db: deps.db, clock: deps.clock, events: deps.events, sites: deps.sites, logger: deps.logger.child({ component: 'ops' }),
      incidents: incidentPortFrom(deps.incidents),
      ...(deps.nc ? { nc: deps.nc } : {}),
      policy: createDispatchPolicy(config.dispatch ?? {}, `${configFile} (dispatch)`),
      drills: { enabled, ...rules },
    });
    await ops.start();
    deps.ops = ops;
    return { stop: () => ops.stop() };
  },
};
