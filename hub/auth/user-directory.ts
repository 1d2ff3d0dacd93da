import type { SiteConfig } from '../../common/config/site.ts';
import type { ResolvedHubUser } from '../../common/config/hub.ts';
import type { ApiUser, Authenticator } from '../api/deps.ts';
import { createPasswordLogin, credentialFingerprint } from './password.ts';

/**
 * The users as configured now. Every request's user is looked up here, so a
 * user deleted from hub.yaml, or given another role or other sites, is taken
 * at their word on the next request after a reload (SIGHUP) or restart, not
 * when their token expires. A changed password ends the user's sessions.
 */
export interface UserDirectory extends Authenticator {
  current(name: string): (ApiUser & { credential: string }) | null;
  /** swaps in a freshly read user list (hub.yaml reloaded) */
  replace(users: readonly ResolvedHubUser[]): void;
}

export function createUserDirectory(users: readonly ResolvedHubUser[], sites: readonly SiteConfig[]): UserDirectory {
  const unitSite = new Map(sites.flatMap((s) => s.units.map((u) => [u.id, s.site.id] as const)));
  let byName = new Map<string, ApiUser & { credential: string }>();
  let login: (name: string, password: string) => Promise<unknown> = async () => null;
  const view = (u: ResolvedHubUser): ApiUser => {
    // A unit login sees its own unit's site, whatever else it is given.
    const sites = u.role === 'unit' && u.unit && unitSite.has(u.unit) ? [unitSite.get(u.unit)!] : u.sites;
    return { name: u.name, role: u.role, ...(u.unit ? { unit: u.unit } : {}), ...(sites ? { sites: [...sites] } : {}) };
  };
  const directory: UserDirectory = {
    async login(name, password) {
      if (!(await login(name, password))) return null;
      const u = byName.get(name);
      return u ? strip(u) : null;
    },
    current: (name) => byName.get(name) ?? null,
    replace(list) {
      byName = new Map(list.map((u) => [u.name, { ...view(u), credential: credentialFingerprint(u.passwordHash) }]));
      login = createPasswordLogin(list);
    },
  };
  directory.replace(users);
  return directory;
}

function strip(u: ApiUser & { credential: string }): ApiUser {
  const { credential: _c, ...rest } = u;
  return rest;
}
