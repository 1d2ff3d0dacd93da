import { z } from 'zod';
import { addMonths, hhmm, localMinutes, monthBounds, zonedParts } from '../units/zoned-time.ts';

/**
 * Drill planning, pure. Each local month gets at least `perMonth` distinct
 * units, and every unit whose six-month deadline would otherwise fall before
 * the next month's plan could run is added, so no unit goes more than
 * `maxIntervalMonths` undrilled even when the random picks pass it over.
 */
export interface DrillRules {
  /** @default 3 */
  perMonth: number;
  /** @default 6 */
  maxIntervalMonths: number;
  /** working hours, local "HH:MM" @default 08:00–18:00 */
  dayStart: string;
  dayEnd: string;
  /** local weekdays with working hours, 0 = Sunday @default Monday–Friday */
  workdays: readonly number[];
}

export const DEFAULT_DRILL_RULES: DrillRules = Object.freeze({ perMonth: 3, maxIntervalMonths: 6, dayStart: '08:00', dayEnd: '18:00', workdays: Object.freeze([1, 2, 3, 4, 5]) });

export interface PlannedDrill {
  unitId: string;
  at: number;
  /** why it was picked: the deadline forced it, or the monthly random draw */
  reason: 'due' | 'random';
}

export interface PlanInput {
  /** any instant in the month to plan; drills are placed no earlier than `from` */
  from: number;
  timeZone: string;
  units: readonly string[];
  /** last drill (done or planned) per unit; a unit never drilled counts from `since` */
  lastDrilled: ReadonlyMap<string, number>;
  since: number;
  rules?: DrillRules;
  /** uniform in [0, 1) */
  random: () => number;
}

export function isWorkingTime(at: number, timeZone: string, rules: DrillRules): boolean {
  const p = zonedParts(at, timeZone);
  if (!rules.workdays.includes(p.weekday)) return false;
  const m = localMinutes(at, timeZone);
  return m >= hhmm(rules.dayStart) && m < hhmm(rules.dayEnd);
}

/** A random working-hours instant in [from, until); null when there is none (rejection sampling keeps DST right). */
export function randomWorkingTime(from: number, until: number, timeZone: string, rules: DrillRules, random: () => number): number | null {
  if (until <= from) return null;
  for (let i = 0; i < 2000; i++) {
    const at = Math.floor(from + random() * (until - from));
    if (isWorkingTime(at, timeZone, rules)) return at - (at % 60_000);
  }
  // A very short window: walk it minute by minute for the first working minute.
  for (let at = from - (from % 60_000) + 60_000; at < until; at += 60_000) if (isWorkingTime(at, timeZone, rules)) return at;
  return null;
}

export function planMonth(input: PlanInput): PlannedDrill[] {
  const rules = input.rules ?? DEFAULT_DRILL_RULES;
  const month = monthBounds(input.from, input.timeZone);
  const next = monthBounds(month.end, input.timeZone);
  const start = Math.max(input.from, month.start);
  const deadlineOf = (u: string) => addMonths(input.lastDrilled.get(u) ?? input.since, rules.maxIntervalMonths);

  const due = input.units.filter((u) => deadlineOf(u) <= next.end);
  const rest = input.units.filter((u) => !due.includes(u));
  // Fisher–Yates on the rest, then take what the monthly minimum still needs.
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(input.random() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  const extra = rest.slice(0, Math.max(0, rules.perMonth - due.length));

  const out: PlannedDrill[] = [];
  for (const [unitId, reason] of [...due.map((u) => [u, 'due'] as const), ...extra.map((u) => [u, 'random'] as const)]) {
    const until = Math.min(month.end, deadlineOf(unitId));
    const at = randomWorkingTime(start, until, input.timeZone, rules, input.random)
      ?? randomWorkingTime(start, month.end, input.timeZone, rules, input.random);
    if (at !== null) out.push({ unitId, at, reason });
  }
  return out.sort((a, b) => a.at - b.at);
}

const hhmmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

/** hub.yaml `drills:`; every field has the plan's default. */
export const drillsConfigSchema = z.object({
  /** @default true */
  enabled: z.boolean().default(true),
  perMonth: z.number().int().min(1).max(100).default(DEFAULT_DRILL_RULES.perMonth),
  maxIntervalMonths: z.number().int().min(1).max(24).default(DEFAULT_DRILL_RULES.maxIntervalMonths),
  dayStart: hhmmSchema.default(DEFAULT_DRILL_RULES.dayStart),
  dayEnd: hhmmSchema.default(DEFAULT_DRILL_RULES.dayEnd),
  workdays: z.array(z.number().int().min(0).max(6)).min(1).default([...DEFAULT_DRILL_RULES.workdays]),
}).strict().refine((c) => c.dayStart < c.dayEnd, { message: 'dayStart must be before dayEnd', path: ['dayEnd'] });
