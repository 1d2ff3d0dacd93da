import { z } from 'zod';
import type { Severity } from '../../common/alarm.ts';
import { checkConfig } from '../../common/config/load.ts';
import { kindMatches, kindPattern } from '../../common/config/alarm-policy.ts';

/**
 * Which incidents dispatch units by themselves, and how many. Rules are tried
 * in order and the first match wins; a kind pattern is exact, `prefix.*` or `*`;
 * a rule without `severity` matches any. `units: 0` means an operator decides.
 */
export const dispatchRuleSchema = z.object({
  kind: kindPattern,
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  units: z.number().int().min(0).max(20),
}).strict();

export const dispatchPolicySchema = z.object({
  /** seconds a unit has to acknowledge an order before the hub escalates; @default 60 */
  ackTimeoutS: z.number().positive().default(60),
  /** the plan's target from dispatch to on scene, seconds; @default 1800 (30 min) */
  onSceneTargetS: z.number().positive().default(1800),
  /** map units per second when a unit has no speed of its own; @default 1.5 (brisk walk, map in metres) */
  defaultSpeed: z.number().positive().default(1.5),
  /** per-site default speeds (a site whose map is in other units, or a bigger site with vehicles) */
  siteSpeeds: z.record(z.string(), z.number().positive()).default({}),
  /** per-unit speeds, map units per second; these win over the site's */
  unitSpeeds: z.record(z.string(), z.number().positive()).default({}),
  rules: z.array(dispatchRuleSchema).default([
    { kind: 'camera.*', units: 0 },
    { kind: 'crowd.density', severity: 'critical', units: 3 },
    { kind: 'object.abandoned', units: 2 },
    { kind: 'sensor.input', units: 2 },
    { kind: '*', severity: 'critical', units: 2 },
    { kind: '*', severity: 'warning', units: 1 },
    { kind: '*', severity: 'info', units: 0 },
  ]),
}).strict();

export type DispatchPolicyInput = z.input<typeof dispatchPolicySchema>;
export type DispatchPolicyConfig = z.infer<typeof dispatchPolicySchema>;

export interface DispatchPolicy {
  readonly config: DispatchPolicyConfig;
  /** how many units to send without an operator; 0 for none */
  unitsFor(kind: string, severity: Severity): number;
  /** the unit's own speed, else its site's, else the default */
  speedOf(unitId: string, site?: string): number;
  readonly ackTimeoutMs: number;
  readonly onSceneTargetMs: number;
}

/** Checks and freezes the policy when it is built, so that a bad rule fails at start-up, not at the first alarm. */
export function createDispatchPolicy(input: DispatchPolicyInput = {}, source = 'dispatch policy'): DispatchPolicy {
  const config = checkConfig(dispatchPolicySchema, input, source);
  return Object.freeze({
    config,
    ackTimeoutMs: config.ackTimeoutS * 1000,
    onSceneTargetMs: config.onSceneTargetS * 1000,
    unitsFor(kind: string, severity: Severity): number {
      const rule = config.rules.find((r) => kindMatches(r.kind, kind) && (r.severity === undefined || r.severity === severity));
      return rule?.units ?? 0;
    },
    speedOf(unitId: string, site?: string): number {
      return config.unitSpeeds[unitId] ?? (site !== undefined ? config.siteSpeeds[site] : undefined) ?? config.defaultSpeed;
    },
  });
}
