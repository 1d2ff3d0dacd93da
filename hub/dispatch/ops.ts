import type { Kysely } from 'kysely';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Clock } from '../../common/clock.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import { seedUnits } from '../units/seed-units.ts';
import { createReportService, type ReportService } from '../reports/report-service.ts';
import { createOverdueWatcher, type OverdueWatcher } from '../reports/overdue.ts';
import { createDrillScheduler, type DrillScheduler } from '../drills/drill-scheduler.ts';
import type { DrillRules } from '../drills/planner.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import type { IncidentPort } from './incident-port.ts';
import { createDispatchPolicy, type DispatchPolicy, type DispatchPolicyInput } from './policy.ts';
import { createMemoryOpsPublisher, createNatsOpsPublisher, type OpsPublisher } from './publisher.ts';
import { serveUnitAcks, type AckServer } from './ack-server.ts';

/** The hub-ops services, as the API sees them (HubDeps.ops). */
export interface Ops {
  dispatcher: Dispatcher;
  reports: ReportService;
  overdue: OverdueWatcher;
  drills: DrillScheduler;
}

declare module '../api/deps.ts' {
  interface OpsServices extends Ops {}
}

export interface OpsOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  incidents?: IncidentPort;
  /** orders and warnings go out here, and unit acks come in; without it they stay in memory (tests) */
  nc?: NatsConnection;
  publisher?: OpsPublisher;
  /** a built policy, or its config (checked here) */
  policy?: DispatchPolicyInput | DispatchPolicy;
  drills?: Partial<DrillRules> & { enabled?: boolean; intervalMs?: number };
  overdueIntervalMs?: number;
  logger?: Logger;
}

export interface OpsRuntime extends Ops {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds and starts units, dispatch, reports, overdue warnings and drills in
 * the right order: units are seeded before the dispatcher re-arms its timers,
 * and the drill scheduler listens to the dispatcher.
 */
export function createOps(o: OpsOptions): OpsRuntime {
  const logger = o.logger ?? silentLogger;
  const publisher = o.publisher ?? (o.nc ? createNatsOpsPublisher(o.nc) : createMemoryOpsPublisher());
  const policy = o.policy && 'unitsFor' in o.policy ? o.policy : createDispatchPolicy((o.policy ?? {}) as DispatchPolicyInput);
  const dispatcher = createDispatcher({ db: o.db, clock: o.clock, events: o.events, sites: o.sites, policy, publisher, logger, ...(o.incidents ? { incidents: o.incidents } : {}) });
  const reports = createReportService({ db: o.db, clock: o.clock, events: o.events, sites: o.sites, logger });
  const overdue = createOverdueWatcher({ db: o.db, clock: o.clock, events: o.events, publisher, logger, ...(o.overdueIntervalMs ? { intervalMs: o.overdueIntervalMs } : {}) });
  const { enabled: drillsEnabled = true, intervalMs: drillInterval, ...rules } = o.drills ?? {};
  const drills = createDrillScheduler({ db: o.db, clock: o.clock, events: o.events, dispatcher, sites: o.sites, rules, logger, ...(drillInterval ? { intervalMs: drillInterval } : {}) });
  let acks: AckServer | null = null;
  return {
    dispatcher, reports, overdue, drills,
    async start() {
      for (const s of o.sites) await seedUnits(o.db, s, o.clock.now());
      await dispatcher.start();
      await reports.start();
      overdue.start();
      if (drillsEnabled) await drills.start();
      if (o.nc) acks = serveUnitAcks(o.nc, dispatcher, logger);
    },
    async stop() {
      await acks?.stop();
      drills.stop();
      overdue.stop();
      reports.stop();
      dispatcher.stop();
      await Promise.all([dispatcher.idle(), reports.idle(), drills.idle(), overdue.idle()]);
    },
  };
}
