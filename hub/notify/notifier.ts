import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Severity } from '../../common/alarm.ts';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { NotifyEvent } from '../../common/config/alarm-policy.ts';
import { LOCALES } from '../../common/locale.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { AlarmPolicies } from '../alarms/alarm-policy.ts';
import type { FloodSummary } from '../alarms/flood-guard.ts';
import type { HubEvents, IncidentSummary } from '../events.ts';
import { translator, type Translator } from '../i18n/catalogue.ts';
import { kindLabel, placeOf, planLevelLabel, severityLabel, siteLike, siteName, sourceName, type SiteLike } from '../i18n/describe.ts';
import type { Database } from '../store/schema.ts';
import type { NotificationState } from '../store/schema-ops.ts';
import { appendAudit } from '../store/audit.ts';
import { storeCall } from '../units/unit-store.ts';
import { signWebhook, SIGNATURE_HEADER } from './webhook-signature.ts';
import type { Webhook } from './webhook-config.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';

export interface NotifierOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  policies: AlarmPolicies;
  webhooks: readonly Webhook[];
  logger?: Logger;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** how often to look for work another replica queued; @default 30000 ms */
  pollMs?: number;
}

export interface Notification {
  id: string;
  webhook: string;
  event: string;
  site: string;
  incidentId: string | null;
  state: NotificationState;
  attempts: number;
  nextAt: number;
  createdAt: number;
  deliveredAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

const SYSTEM = 'system:notify';
const BATCH = 20;

/**
 * Outbound notifications by policy: signed webhooks (HMAC-SHA256 over the
 * timestamp and body), retried with exponential backoff, dead-lettered after
 * the webhook's last attempt. A durable outbox in the store: a notification is
 * queued in its own row before any network call, survives a restart, and is
 * claimed before each attempt so that two hub replicas never both send it.
 * Queueing, each failed attempt, delivery and the dead letter are all audited.
 */
export class Notifier {
  readonly #o: Readonly<NotifierOptions>;
  readonly #log: Logger;
  readonly #hooks: ReadonlyMap<string, Webhook>;
  readonly #sites: ReadonlyMap<string, SiteLike | undefined>;
  readonly #t: readonly Translator[];
  readonly #work: BackgroundWork;
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #offs: (() => void)[] = [];
  #stopped = true;

  constructor(options: NotifierOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'notify' });
    this.#work = backgroundWork((err) => this.#log.error('notification not queued', { err: errorMessage(err) }));
    this.#hooks = new Map(options.webhooks.map((w) => [w.id, w]));
    this.#sites = new Map(options.sites.map((s) => [s.site.id, siteLike(s)]));
    this.#t = LOCALES.map((l) => translator(l));
  }

  start(): void {
    this.#stopped = false;
    const { events } = this.#o;
    this.#offs.push(events.on('incident.created', (e) => this.#track(this.#incident('incident.opened', e.data.incident, e.at))));
    this.#offs.push(events.on('incident.updated', (e) => {
      if (e.data.change === 'unacknowledged') this.#track(this.#incident('incident.unacknowledged', e.data.incident, e.at));
      // The first activation only: a later change of level is not a new call-out.
      else if (e.data.change === 'activated' && e.data.from === undefined) this.#track(this.#incident('plan.activated', e.data.incident, e.at));
    }));
    this.#offs.push(events.on('alarm.flood', (e) => { if (e.data.started) this.#track(this.#flood(e.data, e.at)); }));
    this.#kick(0);
  }

  stop(): void {
    this.#stopped = true;
    for (const off of this.#offs) off();
    this.#offs = [];
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Waits until queued work and any delivery pass in flight have settled. */
  async idle(): Promise<void> {
    do {
      await this.#work.idle();
      if (this.#running) await this.#running;
    } while (this.#running);
  }

  /** The outbox, newest first; `sites`: only these (a login's scope; null or absent: all). */
  async list(filter: { state?: NotificationState; incidentId?: string; sites?: readonly string[] | null; limit?: number } = {}): Promise<Notification[]> {
    let q = this.#o.db.selectFrom('notifications').selectAll();
    if (filter.sites) q = q.where('site', 'in', filter.sites);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.incidentId) q = q.where('incident_id', '=', filter.incidentId);
    const rows = await storeCall('list notifications', () => q.orderBy('created_at_ms', 'desc').limit(filter.limit ?? 200).execute());
    return rows.map((r) => ({
      id: r.id, webhook: r.webhook, event: r.event, site: r.site, incidentId: r.incident_id, state: r.state, attempts: Number(r.attempts),
      nextAt: Number(r.next_at_ms), createdAt: Number(r.created_at_ms), deliveredAt: r.delivered_at_ms === null ? null : Number(r.delivered_at_ms),
      lastStatus: r.last_status === null ? null : Number(r.last_status), lastError: r.last_error,
    }));
  }

  /** Queues one notification per webhook the site's policy names for this event; returns their ids. */
  async notify(event: NotifyEvent, subject: { site: string; kind: string; severity: Severity; incidentId: string | null }, body: Record<string, unknown>): Promise<string[]> {
    const hooks = this.#o.policies.forSite(subject.site).webhooksFor(event, subject.kind, subject.severity).filter((id) => this.#hooks.has(id));
    if (!hooks.length) return [];
    const now = this.#o.clock.now();
    const ids: string[] = [];
    await storeCall('queue notifications', () => this.#o.db.transaction().execute(async (trx) => {
      for (const webhook of hooks) {
        const id = randomUUID();
        ids.push(id);
        const payload = JSON.stringify({ v: 1, id, event, site: subject.site, at: new Date(now).toISOString(), ...body });
        await trx.insertInto('notifications').values({ id, webhook, event, site: subject.site, incident_id: subject.incidentId, payload, state: 'pending', attempts: 0, next_at_ms: now, created_at_ms: now, delivered_at_ms: null, last_status: null, last_error: null }).execute();
        await appendAudit(trx, { atMs: now, actor: SYSTEM, action: 'notification.queued', ...this.#entity(subject.incidentId, id), note: `${event} to webhook ${webhook}`, data: { notification: id, webhook, event } });
      }
    }));
    this.#kick(0);
    return ids;
  }

  async #incident(event: NotifyEvent, inc: IncidentSummary, at: number): Promise<void> {
    const site = this.#sites.get(inc.site);
    const minutes = Math.round(this.#o.policies.forSite(inc.site).unacknowledgedMs / 60_000);
    const text = Object.fromEntries(this.#t.map((t) => {
      const params = {
        site: siteName(site, t.locale, inc.site), kind: kindLabel(t, inc.kind), severity: severityLabel(t, inc.severity),
        place: placeOf(t, site, inc.site, inc.zone || null, null), level: planLevelLabel(t, inc.planLevel), minutes,
      };
      return [t.locale, t.t(`notify.${event}` as 'notify.incident.opened', params)];
    }));
    await this.notify(event, { site: inc.site, kind: inc.kind, severity: inc.severity as Severity, incidentId: inc.id }, {
      incident: { id: inc.id, kind: inc.kind, severity: inc.severity, status: inc.status, zone: inc.zone || null, planLevel: inc.planLevel, alarmCount: inc.alarmCount },
      eventAt: new Date(at).toISOString(), text,
    });
  }

  async #flood(f: FloodSummary, at: number): Promise<void> {
    const site = this.#sites.get(f.site);
    const text = Object.fromEntries(this.#t.map((t) => [t.locale, t.t('notify.alarm.flood', { site: siteName(site, t.locale, f.site), count: f.count, kind: kindLabel(t, f.kind), source: sourceName(site, f.source, t.locale) })]));
    await this.notify('alarm.flood', { site: f.site, kind: f.kind, severity: 'warning', incidentId: null }, { flood: f, eventAt: new Date(at).toISOString(), text });
  }

  #kick(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#running) { this.#again = true; return; }
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimeout(() => { this.#timer = null; this.#run(); }, Math.max(0, delayMs));
  }

  #run(): void {
    if (this.#running) { this.#again = true; return; }
    this.#running = this.#pass()
      .catch((err) => this.#log.error('notification pass failed', { err: errorMessage(err) }))
      .finally(async () => {
        this.#running = null;
        if (this.#stopped) return;
        if (this.#again) { this.#again = false; this.#kick(0); return; }
        const next = await this.#o.db.selectFrom('notifications').select((eb) => eb.fn.min('next_at_ms').as('at')).where('state', '=', 'pending').executeTakeFirst().catch(() => undefined);
        const at = next?.at === null || next?.at === undefined ? null : Number(next.at);
        this.#kick(Math.min(this.#o.pollMs ?? 30_000, at === null ? Infinity : at - this.#o.clock.now()));
      });
  }

  async #pass(): Promise<void> {
    for (;;) {
      const now = this.#o.clock.now();
      const due = await storeCall('read due notifications', () => this.#o.db.selectFrom('notifications').selectAll()
        .where('state', '=', 'pending').where('next_at_ms', '<=', now).orderBy('next_at_ms').limit(BATCH).execute());
      if (!due.length) return;
      for (const row of due) await this.#deliver(row);
      if (due.length < BATCH) return;
    }
  }

  async #deliver(row: { id: string; webhook: string; event: string; site: string; incident_id: string | null; payload: string; attempts: number; next_at_ms: number }): Promise<void> {
    const hook = this.#hooks.get(row.webhook);
    const now = this.#o.clock.now();
    if (!hook) {
      // The webhook left the config: nothing will ever deliver this one.
      await this.#finish(row, 'dead', Number(row.attempts), now, null, `webhook ${row.webhook} is no longer configured`);
      return;
    }
    // Claim it: another replica that read the same row finds next_at_ms moved and leaves it.
    const lease = now + hook.timeoutMs + 5_000;
    const claimed = await this.#o.db.updateTable('notifications').set({ next_at_ms: lease }).where('id', '=', row.id).where('state', '=', 'pending').where('next_at_ms', '=', row.next_at_ms).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const attempt = Number(row.attempts) + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await (this.#o.fetch ?? fetch)(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', 'user-agent': 'vigil-hub',
          [SIGNATURE_HEADER]: await signWebhook(hook.secret, row.payload, this.#o.clock.now()),
          'x-vigil-event': row.event, 'x-vigil-delivery': row.id, 'x-vigil-attempt': String(attempt),
        },
        body: row.payload,
        redirect: 'error',
        signal: AbortSignal.timeout(hook.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) {
        await this.#finish(row, 'delivered', attempt, this.#o.clock.now(), status, null);
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = errorMessage(err);
    }
    const at = this.#o.clock.now();
    if (attempt >= hook.maxAttempts) {
      await this.#finish(row, 'dead', attempt, at, status, error);
      return;
    }
    const retryIn = Math.min(hook.maxBackoffMs, hook.backoffMs * 2 ** (attempt - 1));
    await storeCall('record a failed notification', () => this.#o.db.transaction().execute(async (trx) => {
      await trx.updateTable('notifications').set({ attempts: attempt, next_at_ms: at + retryIn, last_status: status, last_error: error }).where('id', '=', row.id).execute();
      await appendAudit(trx, { atMs: at, actor: SYSTEM, action: 'notification.failed', ...this.#entity(row.incident_id, row.id), note: `attempt ${attempt} to webhook ${row.webhook} failed: ${error}; next in ${Math.round(retryIn / 1000)} s`, data: { notification: row.id, webhook: row.webhook, attempt, status, retryInMs: retryIn } });
    }));
    this.#log.warn('webhook delivery failed; will retry', { webhook: row.webhook, attempt, status, err: error, retryInMs: retryIn });
    this.#o.events.emit('notification.updated', { id: row.id, webhook: row.webhook, event: row.event, site: row.site, state: 'pending', attempts: attempt }, { site: row.site });
  }

  async #finish(row: { id: string; webhook: string; event: string; site: string; incident_id: string | null }, state: 'delivered' | 'dead', attempts: number, at: number, status: number | null, error: string | null): Promise<void> {
    await storeCall(`record notification ${state}`, () => this.#o.db.transaction().execute(async (trx) => {
      await trx.updateTable('notifications').set({ state, attempts, delivered_at_ms: state === 'delivered' ? at : null, last_status: status, last_error: error }).where('id', '=', row.id).execute();
      await appendAudit(trx, {
        atMs: at, actor: SYSTEM, action: `notification.${state}`, ...this.#entity(row.incident_id, row.id),
        note: state === 'delivered' ? `${row.event} delivered to webhook ${row.webhook} (attempt ${attempts})` : `${row.event} to webhook ${row.webhook} dead-lettered after ${attempts} attempt(s): ${error}`,
        data: { notification: row.id, webhook: row.webhook, attempts, status },
      });
    }));
    if (state === 'dead') this.#log.error('webhook notification dead-lettered', { webhook: row.webhook, notification: row.id, attempts, err: error });
    this.#o.events.emit('notification.updated', { id: row.id, webhook: row.webhook, event: row.event, site: row.site, state, attempts }, { site: row.site });
  }

  #entity(incidentId: string | null, id: string): { entity: string; entityId: string } {
    return incidentId ? { entity: 'incident', entityId: incidentId } : { entity: 'notification', entityId: id };
  }

  #track(p: Promise<unknown>): void {
    this.#work.track(p);
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  return new Notifier(options);
}
