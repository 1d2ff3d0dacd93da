import { hhmm, localMinutes } from './zoned-time.ts';

/** The plan's minimum strength of a unit. */
export const MIN_MEMBERS = 5;
export const MIN_ON_DUTY = 3;

export interface RosterShift {
  name: string;
  /** HH:MM local time */
  start: string;
  end: string;
  onDuty: readonly string[];
  leader: string;
}

export interface ReadinessSubject {
  members: readonly { id: string; name: string; role?: string | undefined }[];
  roster: readonly RosterShift[];
}

export interface Readiness {
  ready: boolean;
  /** why not, one line each; empty when ready */
  reasons: string[];
  /** the same reasons as catalogue keys (hub/i18n, readiness.*) with their arguments, for the interface's language */
  why: { key: string; params: Record<string, string | number> }[];
  shift: string | null;
  members: number;
  onDuty: number;
  leader: string | null;
}

/** True when local minute `m` falls in [start, end); a shift whose end is not after its start runs past midnight. */
function inShift(m: number, shift: RosterShift): boolean {
  const s = hhmm(shift.start);
  const e = hhmm(shift.end);
  if (s === e) return true; // a 24-hour shift
  return s < e ? m >= s && m < e : m >= s || m < e;
}

export function currentShift(roster: readonly RosterShift[], at: number, timeZone: string): RosterShift | null {
  const m = localMinutes(at, timeZone);
  return roster.find((s) => inShift(m, s)) ?? null;
}

/**
 * The emergency plan's rule: a unit is ready only with at least 5 members and,
 * in the shift on duty now (site time), at least 3 members on duty including a
 * named duty leader. People on the roster who are not members do not count.
 */
export function assessReadiness(unit: ReadinessSubject, at: number, timeZone: string): Readiness {
  const reasons: string[] = [];
  const why: Readiness['why'] = [];
  const because = (text: string, key: string, params: Record<string, string | number> = {}) => { reasons.push(text); why.push({ key, params }); };
  const memberIds = new Set(unit.members.map((m) => m.id));
  if (memberIds.size < MIN_MEMBERS) because(`has ${memberIds.size} members, needs at least ${MIN_MEMBERS}`, 'readiness.members', { count: memberIds.size, min: MIN_MEMBERS });
  const shift = currentShift(unit.roster, at, timeZone);
  let onDuty = 0;
  let leader: string | null = null;
  if (!shift) {
    because('no roster shift covers the current time', 'readiness.noShift');
  } else {
    const duty = new Set(shift.onDuty.filter((id) => memberIds.has(id)));
    onDuty = duty.size;
    if (onDuty < MIN_ON_DUTY) because(`has ${onDuty} members on duty in shift ${shift.name}, needs at least ${MIN_ON_DUTY}`, 'readiness.onDuty', { count: onDuty, shift: shift.name, min: MIN_ON_DUTY });
    if (!memberIds.has(shift.leader)) because(`duty leader ${shift.leader} of shift ${shift.name} is not a member`, 'readiness.leaderNotMember', { leader: shift.leader, shift: shift.name });
    else if (!duty.has(shift.leader)) because(`duty leader ${shift.leader} is not on duty in shift ${shift.name}`, 'readiness.leaderOffDuty', { leader: shift.leader, shift: shift.name });
    else leader = shift.leader;
  }
  return { ready: reasons.length === 0, reasons, why, shift: shift?.name ?? null, members: memberIds.size, onDuty, leader };
}
