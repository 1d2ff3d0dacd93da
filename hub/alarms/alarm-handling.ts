import type { Kysely } from 'kysely';
import type { Clock } from '../../common/clock.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { Actor } from '../actor.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';
import type { HubEvents } from '../events.ts';
import { GATHERING } from '../incidents/lifecycle.ts';
import { toSummary } from '../incidents/incident-view.ts';
import type { IncidentPort } from '../dispatch/incident-port.ts';
import { resolveWarning, warningKey } from '../reports/warnings-store.ts';
import type { Database, IncidentRow } from '../store/schema.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { storeCall } from '../units/unit-store.ts';

export interface AlarmHandlingOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  /** moves an open incident to acknowledged when all of it is acknowledged */
  incidents: IncidentPort;
  logger?: Logger;
}

/**
 * What an operator does with alarms (ISA-18.2): acknowledge one, or every
 * alarm of an incident at once, which also acknowledges the incident and stops
 * its escalation; and the suggestion to resolve an incident once every alarm
 * of it has cleared.
 */
export class AlarmHandling {
  readonly #o: Readonly<AlarmHandlingOptions>;
  readonly #log: Logger;
  readonly #work: BackgroundWork;
  #offs: (() => void)[] = [];

  constructor(options: AlarmHandlingOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'alarm-handling' });
    this.#work = backgroundWork((err) => this.#log.error('alarm handling failed', { err: errorMessage(err) }));
  }

  start(): void {
    this.#offs.push(this.#o.events.on('incident.updated', (e) => {
      if (e.data.change === 'cleared') this.#track(this.checkAllCleared(e.data.incident.id));
    }));
  }

  stop(): void {
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /** Acknowledges one alarm; acknowledging it again changes nothing. */
  async acknowledgeAlarm(alarmId: string, actor: Actor): Promise<{ alarmId: string; incidentId: string | null; changed: boolean }> {
    const now = this.#o.clock.now();
    const r = await storeCall(`acknowledge alarm ${alarmId}`, () => this.#o.db.transaction().execute(async (trx) => {
      const a = await trx.selectFrom('alarms').select(['id', 'site', 'kind', 'acked_at_ms']).where('id', '=', alarmId).executeTakeFirst();
      if (!a) throw new NotFoundError('alarm', alarmId);
      const link = await trx.selectFrom('incident_alarms').select('incident_id').where('alarm_id', '=', alarmId).executeTakeFirst();
      if (a.acked_at_ms !== null) return { site: a.site, incidentId: link?.incident_id ?? null, changed: false };
      await trx.updateTable('alarms').set({ acked_at_ms: now, acked_by: actor.name }).where('id', '=', alarmId).where('acked_at_ms', 'is', null).execute();
      await appendAudit(trx, { atMs: now, actor: actor.name, action: 'alarm.acknowledged', entity: link ? 'incident' : 'alarm', entityId: link?.incident_id ?? alarmId, data: { alarms: [alarmId], kind: a.kind } });
      return { site: a.site, incidentId: link?.incident_id ?? null, changed: true };
    }));
    if (r.changed) this.#o.events.emit('alarm.acknowledged', { ids: [alarmId], incidentId: r.incidentId, actor: actor.name, site: r.site }, { site: r.site });
    return { alarmId, incidentId: r.incidentId, changed: r.changed };
  }

  /**
   * Acknowledges every alarm of an incident and the incident itself: its
   * escalation stops, and an open incident moves to acknowledged.
   */
  async acknowledgeIncident(incidentId: string, actor: Actor, note: string | null = null): Promise<{ alarms: number }> {
    const now = this.#o.clock.now();
    const { row, ids } = await storeCall(`acknowledge incident ${incidentId}`, () => this.#o.db.transaction().execute(async (trx) => {
      const inc = await trx.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
      if (!inc) throw new NotFoundError('incident', incidentId);
      const open = await trx.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
        .select('alarms.id').where('incident_alarms.incident_id', '=', incidentId).where('alarms.acked_at_ms', 'is', null).execute();
      const list = open.map((o) => o.id);
      for (let i = 0; i < list.length; i += 500) await trx.updateTable('alarms').set({ acked_at_ms: now, acked_by: actor.name }).where('id', 'in', list.slice(i, i + 500)).where('acked_at_ms', 'is', null).execute();
      let next: IncidentRow = inc;
      if (inc.acked_at_ms === null) {
        next = { ...inc, acked_at_ms: now, acked_by: actor.name, updated_at_ms: now, version: inc.version + 1 };
        await trx.updateTable('incidents').set({ acked_at_ms: now, acked_by: actor.name, updated_at_ms: now, version: next.version }).where('id', '=', incidentId).execute();
        await resolveWarning(trx, warningKey.unacknowledgedIncident(incidentId), now);
      }
      await appendAudit(trx, { atMs: now, actor: actor.name, action: 'incident.acknowledged', entity: 'incident', entityId: incidentId, note, data: { alarms: list.length } });
      return { row: next, ids: list };
    }));
    if (ids.length) this.#o.events.emit('alarm.acknowledged', { ids, incidentId, actor: actor.name, site: row.site }, { site: row.site });
    this.#o.events.emit('incident.updated', { incident: toSummary(row), change: 'acknowledged', actor: actor.name }, { site: row.site });
    if (row.status === 'open') {
      await this.#o.incidents.transition(incidentId, 'acknowledged', actor.name, note ?? undefined).catch((err: unknown) => {
        // Someone moved it on meanwhile (a dispatch); the acknowledgement stands.
        this.#log.info('incident not moved to acknowledged', { incident: incidentId, err: errorMessage(err) });
      });
    }
    return { alarms: ids.length };
  }

  /**
   * After a clear: when every raised episode of the incident has its clear, it
   * is marked all-cleared and resolving is suggested (once, until trouble returns).
   */
  async checkAllCleared(incidentId: string): Promise<boolean> {
    const now = this.#o.clock.now();
    const row = await storeCall(`check clears of ${incidentId}`, () => this.#o.db.transaction().execute(async (trx) => {
      const inc = await trx.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst();
      if (!inc || inc.all_cleared_at_ms !== null || !GATHERING.has(inc.status)) return null;
      const alarms = await trx.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
        .select(['alarms.episode', 'alarms.state', 'alarms.captured_at_ms']).where('incident_alarms.incident_id', '=', incidentId).execute();
      const last = new Map<string, { state: string; at: number }>();
      for (const a of alarms) {
        const prev = last.get(a.episode);
        const at = Number(a.captured_at_ms);
        // The clear of an episode wins over its raise at the same instant.
        if (!prev || at > prev.at || (at === prev.at && a.state === 'cleared')) last.set(a.episode, { state: a.state, at });
      }
      if (last.size === 0 || [...last.values()].some((v) => v.state !== 'cleared')) return null;
      const next = { ...inc, all_cleared_at_ms: now, updated_at_ms: now, version: inc.version + 1 };
      await trx.updateTable('incidents').set({ all_cleared_at_ms: now, updated_at_ms: now, version: next.version }).where('id', '=', incidentId).where('all_cleared_at_ms', 'is', null).execute();
      await appendAudit(trx, { atMs: now, actor: 'system:alarms', action: 'incident.all_cleared', entity: 'incident', entityId: incidentId, note: 'every alarm of the incident has cleared; resolving it is suggested', data: { episodes: last.size } });
      return next;
    }));
    if (!row) return false;
    this.#o.events.emit('incident.updated', { incident: toSummary(row), change: 'all_cleared', actor: 'system:alarms' }, { site: row.site });
    return true;
  }

  #track(p: Promise<unknown>): void {
    this.#work.track(p);
  }
}

export function createAlarmHandling(options: AlarmHandlingOptions): AlarmHandling {
  return new AlarmHandling(options);
}
