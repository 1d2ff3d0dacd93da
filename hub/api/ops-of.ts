import { ApiError } from '../service-errors.ts';
import type { HubDeps, OpsServices } from './deps.ts';

/** The hub's operations; a host that did not build them (a bare API under test) answers 503. */
export function opsOf(deps: HubDeps): OpsServices {
  if (!deps.ops) throw new ApiError(503, 'unavailable', 'operations (units, dispatch, reports, drills) are not running on this hub', 'error.not_running', { service: 'ops' });
  return deps.ops;
}
