import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import { TransitionError, ValidationError, errorMessage } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { Actor } from '../actor.ts';
import { backgroundWork, type BackgroundWork } from '../background-work.ts';
import type { HubEvents } from '../events.ts';
import type { Database } from '../store/schema.ts';
import type { SuppressionType } from '../store/schema-ops.ts';
import { appendAudit } from '../store/audit.ts';
import { NotFoundError } from '../store/not-found.ts';
import { storeCall } from '../units/unit-store.ts';
import type { AlarmPolicies } from './alarm-policy.ts';

export interface Suppression {
  id: string;
  type: SuppressionType;
  site: string;
  source: string;
  /** what the source is: a camera or a sensor of the site */
  sourceType: 'camera' | 'sensor';
  kind: string | null;
  reason: string;
  createdBy: string;
  createdAt: number;
  untilMs: number | null;
  endedAt: number | null;
  endedBy: string | null;
}

export interface SuppressionServiceOptions {
  db: Kysely<Database>;
  clock: Clock;
  events: HubEvents;
  sites: readonly SiteConfig[];
  policies: AlarmPolicies;
  logger?: Logger;
}

const SYSTEM = 'system:shelving';

/**
 * Shelving and out-of-service, after ISA-18.2. An operator shelves a noisy
 * source for a chosen time (at most the policy's maximum, 8 h): its alarms
 * are stored but not presented, and the shelf returns by itself when its time
 * is up (a timer re-armed from the table after a restart; ingest also ignores
 * a shelf past its time, so a late timer cannot keep a source quiet). A
 * camera or sensor under maintenance goes out of service, with a reason,
 * until someone returns it. Every change is audited.
 */
export class SuppressionService {
  readonly #o: Readonly<SuppressionServiceOptions>;
  readonly #log: Logger;
  readonly #sites: ReadonlyMap<string, SiteConfig>;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #work: BackgroundWork;
  #stopped = true;

  constructor(options: SuppressionServiceOptions) {
    this.#o = Object.freeze({ ...options });
    this.#log = (options.logger ?? silentLogger).child({ component: 'shelving' });
    this.#work = backgroundWork((err) => this.#log.error('shelf expiry failed', { err: errorMessage(err) }));
    this.#sites = new Map(options.sites.map((s) => [s.site.id, s]));
  }

  async start(): Promise<void> {
    this.#stopped = false;
    for (const s of await this.list({ type: 'shelved' })) this.#arm(s);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
  }

  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /** Active shelves and out-of-service marks, newest first; `sites`: only these (a login's scope). */
  async list(filter: { site?: string; sites?: readonly string[] | null; type?: SuppressionType } = {}): Promise<Suppression[]> {
    let q = this.#o.db.selectFrom('alarm_suppressions').selectAll().where('ended_at_ms', 'is', null);
    if (filter.site) q = q.where('site', '=', filter.site);
    if (filter.sites) q = q.where('site', 'in', filter.sites);
    if (filter.type) q = q.where('type', '=', filter.type);
    const rows = await storeCall('list suppressions', () => q.orderBy('created_at_ms', 'desc').execute());
    return rows.map((r) => this.#view(r));
  }

  /** Shelves a source (optionally one kind of its alarms) for `minutes`, at most the site policy's maximum. */
  async shelve(request: { site: string; source: string; kind?: string | null; minutes: number; reason: string }, actor: Actor): Promise<Suppression> {
    const max = this.#o.policies.forSite(request.site).maxShelveMs;
    if (!(request.minutes > 0) || request.minutes * 60_000 > max) {
      throw new ValidationError('minutes', `must be more than 0 and at most ${max / 60_000} (${max / 3_600_000} h)`, { key: 'error.shelve_minutes', params: { max: max / 60_000 } });
    }
    const now = this.#o.clock.now();
    return this.#create('shelved', request, now + Math.round(request.minutes * 60_000), actor);
  }

  async outOfService(request: { site: string; source: string; kind?: string | null; reason: string }, actor: Actor): Promise<Suppression> {
    return this.#create('out_of_service', request, null, actor);
  }

  /** Unshelves, or returns to service, before its time. */
  async end(id: string, actor: Actor, expectType?: SuppressionType): Promise<Suppression> {
    const s = await this.#end(id, actor.name, this.#o.clock.now(), expectType);
    if (!s) throw new NotFoundError('active shelf or out-of-service mark', id);
    return s;
  }

  async get(id: string): Promise<Suppression | null> {
    const r = await storeCall(`read suppression ${id}`, () => this.#o.db.selectFrom('alarm_suppressions').selectAll().where('id', '=', id).executeTakeFirst());
    return r ? this.#view(r) : null;
  }

  async #create(type: SuppressionType, request: { site: string; source: string; kind?: string | null; reason: string }, untilMs: number | null, actor: Actor): Promise<Suppression> {
    const sourceType = this.#sourceType(request.site, request.source);
    const reason = request.reason.trim();
    if (!reason) throw new ValidationError('reason', 'is required', { key: 'error.reason_required' });
    const now = this.#o.clock.now();
    const id = randomUUID();
    const kind = request.kind ?? null;
    const replaced = await storeCall(`${type} ${request.source}`, () => this.#o.db.transaction().execute(async (trx) => {
      const same = await trx.selectFrom('alarm_suppressions').select(['id', 'kind']).where('ended_at_ms', 'is', null).where('type', '=', type)
        .where('site', '=', request.site).where('source', '=', request.source).execute();
      // A new shelf replaces the source's current one for the same kinds, so there is one answer to "until when?".
      const ids = same.filter((x) => x.kind === kind).map((x) => x.id);
      for (const old of ids) await trx.updateTable('alarm_suppressions').set({ ended_at_ms: now, ended_by: actor.name }).where('id', '=', old).execute();
      await trx.insertInto('alarm_suppressions').values({
        id, type, site: request.site, source: request.source, kind, reason, created_by: actor.name, created_at_ms: now, until_ms: untilMs, ended_at_ms: null, ended_by: null,
      }).execute();
      await appendAudit(trx, {
        atMs: now, actor: actor.name, action: type === 'shelved' ? 'alarm.shelved' : 'source.out_of_service', entity: 'source', entityId: `${request.site}/${request.source}`, note: reason,
        data: { id, kind, sourceType, ...(untilMs !== null ? { untilMs, minutes: Math.round((untilMs - now) / 60_000) } : {}), ...(ids.length ? { replaces: ids } : {}) },
      });
      return ids;
    }));
    for (const old of replaced) { this.#timers.get(old)?.cancel(); this.#timers.delete(old); }
    const s = (await this.get(id))!;
    if (type === 'shelved') this.#arm(s);
    this.#announce(s, 'active', actor.name);
    this.#log.info(type === 'shelved' ? 'source shelved' : 'source out of service', { site: s.site, source: s.source, kind, until: untilMs, by: actor.name });
    return s;
  }

  async #end(id: string, by: string, at: number, expectType?: SuppressionType): Promise<Suppression | null> {
    const ended = await storeCall(`end suppression ${id}`, () => this.#o.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('alarm_suppressions').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r || r.ended_at_ms !== null) return null;
      if (expectType && r.type !== expectType) throw new TransitionError(r.type, expectType === 'shelved' ? 'unshelved' : 'in service', 'source');
      const res = await trx.updateTable('alarm_suppressions').set({ ended_at_ms: at, ended_by: by }).where('id', '=', id).where('ended_at_ms', 'is', null).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return null;
      const expired = by === SYSTEM;
      await appendAudit(trx, {
        atMs: at, actor: by, action: r.type === 'shelved' ? 'alarm.unshelved' : 'source.in_service', entity: 'source', entityId: `${r.site}/${r.source}`,
        note: expired ? 'shelving time is up: the source is back' : null, data: { id, kind: r.kind, expired },
      });
      return { ...r, ended_at_ms: at, ended_by: by };
    }));
    if (!ended) return null;
    this.#timers.get(id)?.cancel();
    this.#timers.delete(id);
    const s = this.#view(ended);
    this.#announce(s, 'ended', by);
    return s;
  }

  #arm(s: Suppression): void {
    if (this.#stopped || s.untilMs === null) return;
    this.#timers.get(s.id)?.cancel();
    this.#timers.set(s.id, this.#o.clock.setTimeout(() => {
      this.#timers.delete(s.id);
      this.#work.track(this.#end(s.id, SYSTEM, s.untilMs!));
    }, Math.max(0, s.untilMs - this.#o.clock.now())));
  }

  #announce(s: Suppression, state: 'active' | 'ended', actor: string): void {
    this.#o.events.emit('suppression.changed', { id: s.id, type: s.type, site: s.site, source: s.source, kind: s.kind, state, untilMs: s.untilMs, actor }, { site: s.site });
  }

  #sourceType(site: string, source: string): 'camera' | 'sensor' {
    const cfg = this.#sites.get(site);
    if (!cfg) throw new ValidationError('site', `no site ${site}`, { key: 'error.no_site', params: { site } });
    if (cfg.cameras.some((c) => c.id === source)) return 'camera';
    if (cfg.sensors.some((s) => s.id === source)) return 'sensor';
    throw new ValidationError('source', `no camera or sensor ${source} at site ${site}`, { key: 'error.no_source', params: { source, site } });
  }

  #view(r: { id: string; type: SuppressionType; site: string; source: string; kind: string | null; reason: string; created_by: string; created_at_ms: number; until_ms: number | null; ended_at_ms: number | null; ended_by: string | null }): Suppression {
    const cfg = this.#sites.get(r.site);
    return {
      id: r.id, type: r.type, site: r.site, source: r.source, sourceType: cfg?.sensors.some((s) => s.id === r.source) ? 'sensor' : 'camera',
      kind: r.kind, reason: r.reason, createdBy: r.created_by, createdAt: Number(r.created_at_ms),
      untilMs: r.until_ms === null ? null : Number(r.until_ms), endedAt: r.ended_at_ms === null ? null : Number(r.ended_at_ms), endedBy: r.ended_by,
    };
  }
}

export function createSuppressionService(options: SuppressionServiceOptions): SuppressionService {
  return new SuppressionService(options);
}
