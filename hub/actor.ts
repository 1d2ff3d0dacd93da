/**
 * Who does something, as the services see it: a logged-in user (the API
 * passes its ApiUser, which has this shape) or `system:<component>`. Services
 * take the actor rather than a bare name, so that checks by role, unit or
 * (later) site sit in one place, next to the data they guard.
 */
export interface Actor {
  name: string;
  role?: string;
  /** for role `unit`: the unit this login belongs to */
  unit?: string;
}

export const system = (component: string): Actor => ({ name: `system:${component}` });
