import { z } from 'zod';

/**
 * A site's alarm policy (site.yaml `policy:`), after ISA-18.2 / EEMUA 191: an
 * alarm is something an operator must act on; anything else is logged and
 * shown in the feed. The hub decides per alarm, by kind and severity:
 *
 * - `feed`: stored and shown, no incident;
 * - `incident`: opens (or joins) an incident on a role's board;
 * - `dispatch`: an incident whose units go out without waiting for an operator.
 *
 * Site rules are tried first, then DEFAULT_ALARM_RULES; the first match wins.
 */
export const ALARM_OUTCOMES = ['feed', 'incident', 'dispatch'] as const;
export type AlarmOutcome = (typeof ALARM_OUTCOMES)[number];

/** Whose board an incident lands on first. Commanders see every board. */
export const INCIDENT_ROLES = ['operator', 'engineer'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

/** The emergency plan's response levels: I is the gravest (特别重大), IV the least (一般). */
export const PLAN_LEVELS = ['I', 'II', 'III', 'IV'] as const;
export type PlanLevel = (typeof PLAN_LEVELS)[number];

/** Events a webhook may be told about. */
export const NOTIFY_EVENTS = ['incident.opened', 'incident.unacknowledged', 'plan.activated', 'alarm.flood'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const severity = z.enum(['info', 'warning', 'critical']);
export const kindPattern = z.string().regex(/^(\*|[a-z][a-z0-9_]*(\.(\*|[a-z][a-z0-9_]*))?)$/, 'must be a kind, "prefix.*" or "*"');

export const alarmRuleSchema = z.object({
  kind: kindPattern,
  /** absent: any severity */
  severity: severity.optional(),
  outcome: z.enum(ALARM_OUTCOMES),
  /** @default operator */
  role: z.enum(INCIDENT_ROLES).default('operator'),
}).strict();
export type AlarmRule = z.infer<typeof alarmRuleSchema>;

/** The defaults: info is feed only; camera and sensor warnings go to engineers; criticals dispatch. */
export const DEFAULT_ALARM_RULES: readonly AlarmRule[] = Object.freeze([
  { kind: '*', severity: 'info', outcome: 'feed', role: 'operator' },
  { kind: '*', severity: 'critical', outcome: 'dispatch', role: 'operator' },
  { kind: 'camera.*', severity: 'warning', outcome: 'incident', role: 'engineer' },
  { kind: 'sensor.*', severity: 'warning', outcome: 'incident', role: 'engineer' },
  { kind: 'crowd.density', outcome: 'incident', role: 'operator' },
  { kind: 'object.abandoned', outcome: 'incident', role: 'operator' },
  { kind: '*', outcome: 'incident', role: 'operator' },
] as const);

export const alarmPolicySchema = z.object({
  /** tried before the defaults, first match wins */
  rules: z.array(alarmRuleSchema).max(100).default([]),
  /** the flood guard: per source (camera or sensor) and kind, at most `maxAlarms` raised alarms shown per `windowS`; the rest are summarised */
  flood: z.object({
    /** @default 5 */
    maxAlarms: z.number().int().min(1).max(1000).default(5),
    /** @default 600 (10 min) */
    windowS: z.number().int().min(10).max(24 * 3600).default(600),
  }).strict().prefault({}),
  /** the plan is activated by policy, without a commander, for these severities */
  activation: z.object({
    /** @default ["critical"] */
    autoSeverities: z.array(severity).default(['critical']),
    /** @default "III" */
    autoLevel: z.enum(PLAN_LEVELS).default('III'),
  }).strict().prefault({}),
  /** an incident nobody acknowledges within this many minutes goes to the commander role; @default 5 */
  escalation: z.object({ unacknowledgedMin: z.number().positive().max(24 * 60).default(5) }).strict().prefault({}),
  /** @default 8 h, and never more (ISA-18.2 shelving returns by itself) */
  shelving: z.object({ maxHours: z.number().positive().max(8).default(8) }).strict().prefault({}),
  /** operator positions watching this site's feed, for the alarm-rate figures; @default 1 */
  operatorPositions: z.number().int().min(1).max(100).default(1),
  /** which webhooks (hub.yaml `notifications.webhooks[].id`) hear of what */
  notify: z.array(z.object({
    webhook: z.string().min(1).max(64),
    events: z.array(z.enum(NOTIFY_EVENTS)).min(1),
    /** @default warning */
    minSeverity: severity.default('warning'),
    /** absent: every kind */
    kinds: z.array(kindPattern).optional(),
  }).strict()).max(50).default([]),
}).strict();

export type AlarmPolicyInput = z.input<typeof alarmPolicySchema>;
export type AlarmPolicyConfig = z.infer<typeof alarmPolicySchema>;

export function kindMatches(pattern: string, kind: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return kind.startsWith(pattern.slice(0, -1));
  return pattern === kind;
}
