/**
 * Who does something, as the services see it: a logged-in user (the API
 * passes its ApiUser, which has this shape) or `system:<component>`. Services
 * take the actor rather than a bare name, so that checks by role or unit sit in
 * one place, next to the data they guard. A login's sites are checked by the
 * routes before a service is called (hub/api/site-scope.ts), as for every
 * other record the API serves.
 */
export interface Actor {
  name: string;
  role?: string;
  /** for role `unit`: the unit this login belongs to */
  unit?: string;
}

export const system = (component: string): Actor => ({ name: `system:${component}` });
