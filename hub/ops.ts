import type { Kysely } from 'kysely';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Clock } from '../common/clock.ts';
import type { SiteConfig } from '../common/config/site.ts';
import { silentLogger, type Logger } from '../common/log.ts';
import type { OpsServices } from './api/deps.ts';
import type { HubEvents } from './events.ts';
import type { Database } from './store/schema.ts';
import { createAlarmPolicies, type AlarmPolicies } from './alarms/alarm-policy.ts';
import { createAlarmHandling } from './alarms/alarm-handling.ts';
import { createSuppressionService } from './alarms/suppression-service.ts';
import { createUnitService } from './units/unit-service.ts';
import { createReportService } from './reports/report-service.ts';
import { createOverdueWatcher } from './reports/overdue.ts';
import { createDrillScheduler } from './drills/drill-scheduler.ts';
import type { DrillRules } from './drills/planner.ts';
import { createDispatchService } from './dispatch/dispatch-service.ts';
import type { IncidentPort } from './dispatch/incident-port.ts';
import { createDispatchPolicy, type DispatchPolicy, type DispatchPolicyInput } from './dispatch/policy.ts';
import { createMemoryOpsPublisher, createNatsOpsPublisher, type OpsPublisher } from './dispatch/publisher.ts';
import { serveUnitAcks, type AckServer } from './dispatch/ack-server.ts';
import { createPlanService } from './plan/plan-service.ts';
import { createNotifier } from './notify/notifier.ts';
import type { Webhook } from './notify/webhook-config.ts';

export interface OpsOptions {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  incidents: IncidentPort;
  /** orders and warnings go out here, and unit acks come in; without it they stay in memory (tests) */
  nc?: NatsConnection;
  publisher?: OpsPublisher;
  /** the dispatch policy (how many units, speeds, ack timeout), built or as config (checked here) */
  policy?: DispatchPolicyInput | DispatchPolicy;
  /** the sites' alarm policies; built from `sites` when absent */
  policies?: AlarmPolicies;
  webhooks?: readonly Webhook[];
  /** for the notifier (tests may stand in a failing network) */
  fetch?: typeof fetch;
  drills?: Partial<DrillRules> & { enabled?: boolean; intervalMs?: number };
  overdueIntervalMs?: number;
  logger?: Logger;
  /** due-timer claims: this replica's name, lease and poll (hub.yaml cluster) */
  timers?: { owner?: string; leaseMs?: number; pollMs?: number };
}

export interface OpsRuntime extends OpsServices {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** settles background work started so far (event handlers, timers that fired) */
  idle(): Promise<void>;
}

/**
 * Builds the hub's operations once, in dependency order, and starts them in
 * the right order: units are seeded before dispatch re-arms its timers, the
 * drill scheduler listens to dispatch, the notifier listens to everything.
 * hub-node builds this once and hands it to the API in HubDeps.
 */
export function createOps(o: OpsOptions): OpsRuntime {
  const logger = o.logger ?? silentLogger;
  const publisher = o.publisher ?? (o.nc ? createNatsOpsPublisher(o.nc) : createMemoryOpsPublisher());
  const dispatchPolicy = o.policy && 'unitsFor' in o.policy ? o.policy : createDispatchPolicy((o.policy ?? {}) as DispatchPolicyInput);
  const webhooks = o.webhooks ?? [];
  const policies = o.policies ?? createAlarmPolicies(o.sites, { webhooks: new Set(webhooks.map((w) => w.id)) });
  const base = { db: o.db, clock: o.clock, events: o.events, sites: o.sites, logger };
  const units = createUnitService({ ...base, speedOf: (id, site) => dispatchPolicy.speedOf(id, site) });
  const dispatch = createDispatchService({ ...base, policy: dispatchPolicy, units, publisher, incidents: o.incidents, dialect: o.dialect, ...(o.timers ? { timers: o.timers } : {}) });
  const reports = createReportService(base);
  const overdue = createOverdueWatcher({ ...base, publisher, unacknowledgedLimit: (site) => policies.forSite(site).unacknowledgedMs, ...(o.overdueIntervalMs ? { intervalMs: o.overdueIntervalMs } : {}) });
  const { enabled: drillsEnabled = true, intervalMs: drillInterval, ...rules } = o.drills ?? {};
  const drills = createDrillScheduler({ ...base, dispatch, units, rules, ...(drillInterval ? { intervalMs: drillInterval } : {}) });
  const plan = createPlanService({ ...base, dialect: o.dialect, policies });
  const alarms = createAlarmHandling({ ...base, incidents: o.incidents });
  const suppressions = createSuppressionService({ ...base, policies });
  const notifier = createNotifier({ ...base, policies, webhooks, ...(o.fetch ? { fetch: o.fetch } : {}) });
  let acks: AckServer | null = null;
  const idle = async () => { await Promise.all([dispatch.idle(), reports.idle(), drills.idle(), overdue.idle(), plan.idle(), alarms.idle(), suppressions.idle(), notifier.idle()]); };
  return {
    policies, units, dispatch, reports, overdue, drills, plan, alarms, suppressions, notifier,
    async start() {
      await units.seed();
      // The notifier first: it must hear of everything the others start.
      notifier.start();
      plan.start();
      alarms.start();
      await suppressions.start();
      await dispatch.start();
      await reports.start();
      overdue.start();
      if (drillsEnabled) await drills.start();
      if (o.nc) acks = serveUnitAcks(o.nc, dispatch, logger);
    },
    async stop() {
      await acks?.stop();
      drills.stop();
      overdue.stop();
      reports.stop();
      dispatch.stop();
      suppressions.stop();
      alarms.stop();
      plan.stop();
      await idle();
      notifier.stop();
      await notifier.idle();
    },
    idle,
  };
}
