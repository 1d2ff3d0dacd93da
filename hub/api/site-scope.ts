import type { ApiUser, HubDeps } from './deps.ts';
import { NotFoundError } from '../store/not-found.ts';
import { ValidationError } from '../../common/errors.ts';
import { AccessDeniedError } from '../service-errors.ts';

/**
 * What a login may see, by site. A user carries the sites of hub.yaml's
 * `users[].sites` (a unit login: its unit's site); none listed means every
 * site. Routes call these helpers rather than each writing its own check:
 * - `siteScope(user, requested)` narrows a list query to what the user may
 *   see (an empty scope matches nothing), for a `where site in (…)`;
 * - `assertSite(user, site, what, id)` guards a single record; a record of
 *   another site is "not found", so that its existence is not disclosed.
 */
export type SiteScope = readonly string[] | null;

/** A site id no record has: an empty scope must still be a valid `in (…)` list. */
const NO_SITE = '\u0000';

export function maySeeSite(user: ApiUser, site: string): boolean {
  return !user.sites || user.sites.includes(site);
}

/** The sites a list query may return: null for every site, else a non-empty list (possibly matching nothing). */
export function siteScope(user: ApiUser, requested?: string): SiteScope {
  if (requested !== undefined) return maySeeSite(user, requested) ? [requested] : [NO_SITE];
  return user.sites ? (user.sites.length ? user.sites : [NO_SITE]) : null;
}

export function assertSite(user: ApiUser, site: string, what: string, id: string): void {
  if (!maySeeSite(user, site)) throw new NotFoundError(what, id);
}

/**
 * For reports that take one site or all: a login scoped to sites gives one of
 * them (its only one by default); an unscoped login may give none (all sites).
 */
export function oneSite(user: ApiUser, requested: string | undefined): string | undefined {
  if (!user.sites) return requested;
  if (requested !== undefined) {
    if (!maySeeSite(user, requested)) throw new NotFoundError('site', requested);
    return requested;
  }
  if (user.sites.length === 1) return user.sites[0];
  throw new ValidationError('site', `give one of your sites (${user.sites.join(', ')})`, { key: 'error.one_site', params: { sites: user.sites.join(', ') } });
}

/** Keeps the items of sites the user may see. */
export function visibleItems<T extends { site: string }>(user: ApiUser, items: readonly T[]): T[] {
  return user.sites ? items.filter((i) => maySeeSite(user, i.site)) : [...items];
}

/** The site of an incident, for the checks above; 404 when it does not exist. */
export async function incidentSite(deps: HubDeps, id: string): Promise<string> {
  const row = await deps.db.selectFrom('incidents').select('site').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('incident', id);
  return row.site;
}

/** Dispatch states in which a unit counts as sent to the incident (not one that was cancelled or replaced for not answering). */
const ACTING_STATES = ['ordered', 'acknowledged', 'en_route', 'on_scene', 'released'] as const;

/**
 * An incident a login may act on: one of its sites, and for a unit login one
 * it was dispatched to. A unit's own radio is not a key to every incident.
 */
export async function assertMayActOnIncident(deps: HubDeps, user: ApiUser, id: string): Promise<void> {
  assertSite(user, await incidentSite(deps, id), 'incident', id);
  await assertDispatched(deps, user, id);
}

/** For a unit login: 403 unless the unit was sent to this incident. Other roles pass (their site is checked apart). */
export async function assertDispatched(deps: HubDeps, user: ApiUser, incidentId: string): Promise<void> {
  if (user.role !== 'unit') return;
  const sent = user.unit
    ? await deps.db.selectFrom('dispatches').select('id').where('incident_id', '=', incidentId).where('unit_id', '=', user.unit).where('state', 'in', [...ACTING_STATES]).executeTakeFirst()
    : undefined;
  if (!sent) throw new AccessDeniedError(`unit ${user.unit ?? '?'} was not dispatched to incident ${incidentId}`, 'error.not_dispatched', { unit: user.unit ?? '?', incident: incidentId });
}
