import type { Dispatch } from '../dispatch/dispatch-store.ts';
import type { UnitService, UnitWithReadiness } from '../units/unit-service.ts';
import type { Unit } from '../units/unit-store.ts';
import type { ApiUser } from './deps.ts';
import { roleHas } from './roles.ts';
import { maySeeSite } from './site-scope.ts';

/** API shapes of hub-ops records: camelCase, ISO times, and what each role may see of drills. */
export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Drills are unannounced: only those who may command drills see the drill flag. */
const seesDrills = (user: ApiUser) => roleHas(user.role, 'drills.command');

/**
 * A unit sees its drill order like any other until it reports on scene;
 * operators and engineers do not see drill dispatches at all (see dispatchVisible).
 */
export function dispatchView(d: Dispatch, user: ApiUser) {
  const command = seesDrills(user);
  const base = {
    id: d.id, incident: d.incidentId, site: d.site, unit: d.unitId, kind: d.kind, severity: d.severity, state: d.state,
    orderedBy: d.drill && !command ? 'system:dispatch' : d.orderedBy,
    distance: d.distance, etaS: d.etaS, orderedAt: iso(d.orderedAt), ackBy: iso(d.ackBy), ackedAt: iso(d.ackedAt),
    enRouteAt: iso(d.enRouteAt), onSceneAt: iso(d.onSceneAt), onSceneBy: iso(d.onSceneBy), closedAt: iso(d.closedAt), replacedBy: d.replacedBy,
  };
  if (command) return { ...base, drill: d.drill, drillId: d.drillId };
  if (d.drill && d.onSceneAt !== null) return { ...base, drill: true };
  return base;
}

export function dispatchVisible(d: Dispatch, user: ApiUser): boolean {
  if (!maySeeSite(user, d.site)) return false;
  if (seesDrills(user)) return true;
  if (user.role === 'unit') return d.unitId === user.unit;
  return !d.drill;
}

export function unitView(u: Unit | UnitWithReadiness, units: UnitService) {
  return {
    ...u, statusAt: iso(u.statusAt), updatedAt: iso(u.updatedAt), createdAt: iso(u.createdAt),
    speed: units.speedOf(u), readiness: 'readiness' in u ? u.readiness : units.readiness(u),
  };
}
