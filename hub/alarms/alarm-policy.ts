import type { Severity } from '../../common/alarm.ts';
import { SEVERITY_RANK } from '../../common/alarm.ts';
import {
  alarmPolicySchema, DEFAULT_ALARM_RULES, kindMatches,
  type AlarmOutcome, type AlarmPolicyConfig, type IncidentRole, type NotifyEvent, type PlanLevel,
} from '../../common/config/alarm-policy.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { ConfigError } from '../../common/errors.ts';

export interface PolicyDecision {
  outcome: AlarmOutcome;
  role: IncidentRole;
}

/** A site's alarm policy, checked and frozen: what to make of an alarm, when to activate the plan, escalate and notify. */
export interface SitePolicy {
  readonly config: AlarmPolicyConfig;
  decide(kind: string, severity: Severity): PolicyDecision;
  /** the plan level to activate with by policy, or null when a commander decides */
  autoActivation(severity: Severity): PlanLevel | null;
  readonly unacknowledgedMs: number;
  readonly floodMax: number;
  readonly floodWindowMs: number;
  readonly maxShelveMs: number;
  /** webhook ids to tell about an event */
  webhooksFor(event: NotifyEvent, kind: string, severity: Severity): string[];
}

export interface AlarmPolicies {
  forSite(site: string): SitePolicy;
}

const OUTCOME_RANK: Record<AlarmOutcome, number> = { feed: 0, incident: 1, dispatch: 2 };

/** The weightier of two outcomes: an incident that escalates to critical may come to dispatch, never the other way. */
export function maxOutcome(a: AlarmOutcome, b: AlarmOutcome): AlarmOutcome {
  return OUTCOME_RANK[a] >= OUTCOME_RANK[b] ? a : b;
}

export function createSitePolicy(config: AlarmPolicyConfig): SitePolicy {
  const rules = [...config.rules, ...DEFAULT_ALARM_RULES];
  return Object.freeze({
    config,
    decide(kind: string, severity: Severity): PolicyDecision {
      // The defaults end with a catch-all, so a rule always matches.
      const r = rules.find((x) => kindMatches(x.kind, kind) && (x.severity === undefined || x.severity === severity))!;
      return { outcome: r.outcome, role: r.role };
    },
    autoActivation(severity: Severity): PlanLevel | null {
      return config.activation.autoSeverities.includes(severity) ? config.activation.autoLevel : null;
    },
    unacknowledgedMs: config.escalation.unacknowledgedMin * 60_000,
    floodMax: config.flood.maxAlarms,
    floodWindowMs: config.flood.windowS * 1000,
    maxShelveMs: config.shelving.maxHours * 3_600_000,
    webhooksFor(event: NotifyEvent, kind: string, severity: Severity): string[] {
      return [...new Set(config.notify
        .filter((n) => n.events.includes(event) && SEVERITY_RANK[severity] >= SEVERITY_RANK[n.minSeverity] && (!n.kinds || n.kinds.some((k) => kindMatches(k, kind))))
        .map((n) => n.webhook))];
    },
  });
}

const DEFAULT_POLICY = createSitePolicy(alarmPolicySchema.parse({}));

/**
 * Every site's policy, built once at start-up. A policy naming a webhook that
 * hub.yaml does not define fails here, naming the site and the field.
 */
export function createAlarmPolicies(sites: readonly SiteConfig[], options: { webhooks?: ReadonlySet<string> } = {}): AlarmPolicies {
  const bySite = new Map<string, SitePolicy>();
  for (const s of sites) {
    s.policy.notify.forEach((n, i) => {
      if (options.webhooks && !options.webhooks.has(n.webhook)) {
        throw new ConfigError(`site ${s.site.id}`, [{ path: `policy.notify.${i}.webhook`, message: `no webhook "${n.webhook}" in hub.yaml notifications.webhooks (known: ${[...options.webhooks].join(', ') || 'none'})` }]);
      }
    });
    bySite.set(s.site.id, createSitePolicy(s.policy));
  }
  return Object.freeze({ forSite: (site: string) => bySite.get(site) ?? DEFAULT_POLICY });
}
