import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Alarm, Severity } from '../../common/alarm.ts';
import type { Database, IncidentRow } from '../store/schema.ts';
import { appendAudit, type AuditEntry } from '../store/audit.ts';
import { GATHERING } from './lifecycle.ts';
import { bumpSeverity, maxSeverity } from './severity.ts';
import { toSummary } from './incident-view.ts';
import type { HubEventMap } from '../events.ts';
import { createAlarmPolicies, maxOutcome, type AlarmPolicies, type PolicyDecision } from '../alarms/alarm-policy.ts';
import { loadSuppressions } from '../alarms/suppressions.ts';
import { loadFloodGuard } from '../alarms/flood-guard.ts';

export interface IncomingAlarm {
  alarm: Alarm;
  /** JetStream stream sequence, when it came from the stream */
  streamSeq?: number | null;
  receivedAtMs: number;
}

export interface CorrelationOptions {
  /** alarms of one site, zone and kind closer than this join one incident */
  windowMs: number;
  /** a crowd density this much above the incident's peak (fraction) counts as rising; @default 0.2 */
  risingFraction?: number;
  dialect: 'sqlite' | 'postgres';
  newId?: () => string;
  /** what each site makes of an alarm; every site on the defaults when absent */
  policies?: AlarmPolicies;
}

export type PendingEvent =
  | { type: 'alarm.ingested'; data: HubEventMap['alarm.ingested']; site: string }
  | { type: 'alarm.flood'; data: HubEventMap['alarm.flood']; site: string }
  | { type: 'incident.created'; data: HubEventMap['incident.created']; site: string }
  | { type: 'incident.updated'; data: HubEventMap['incident.updated']; site: string };

export interface BatchResult {
  /** ids stored by this call (first time seen) */
  stored: string[];
  /** ids already in the store: redeliveries and duplicates */
  duplicates: string[];
  incidentsCreated: number;
  incidentsUpdated: number;
  /** to emit once the transaction has committed */
  events: PendingEvent[];
}

const SYSTEM = 'system:correlator';
const ALARM_CHUNK = 500;

/**
 * Alarms of one site, place and kind gather into one incident. The place is
 * the zone, or for an alarm without one (a camera fault, a sensor) its source:
 * two cameras going offline are two faults, not one.
 */
export function correlationKey(site: string, zone: string | null, kind: string, source = ''): string {
  return `${site}|${zone ?? `@${source}`}|${kind}`;
}

const DEFAULT_POLICIES = createAlarmPolicies([]);

const capturedMs = (a: Alarm) => Date.parse(a.capturedAt);

/**
 * Stores a batch of alarms and folds them into incidents, in one transaction
 * that the caller opens (so that the JetStream acks follow the commit).
 *
 * Idempotent: an alarm id already stored is skipped. Race-free across hub
 * replicas: the gathering incident of a key is found through a UNIQUE index on
 * `correlation_key` and locked FOR UPDATE on PostgreSQL; a replica that loses the
 * race to create it joins the winner's incident instead.
 */
export async function storeAndCorrelate(trx: Transaction<Database> | Kysely<Database>, items: readonly IncomingAlarm[], options: CorrelationOptions): Promise<BatchResult> {
  const newId = options.newId ?? (() => crypto.randomUUID());
  const rising = options.risingFraction ?? 0.2;
  const result: BatchResult = { stored: [], duplicates: [], incidentsCreated: 0, incidentsUpdated: 0, events: [] };

  const unique = new Map<string, IncomingAlarm>();
  for (const it of items) {
    if (unique.has(it.alarm.id)) result.duplicates.push(it.alarm.id);
    else unique.set(it.alarm.id, it);
  }
  const list = [...unique.values()];
  const policies = options.policies ?? DEFAULT_POLICIES;
  // The policy's verdict and any shelf or out-of-service mark are fixed per alarm, so a redelivery stores the same.
  const decision = new Map<string, PolicyDecision>();
  const muted = await loadSuppressions(trx, [...new Set(list.map((it) => it.alarm.site))]);
  const suppressedBy = new Map<string, 'flood' | 'shelved' | 'out_of_service'>();
  for (const { alarm: a, receivedAtMs } of list) {
    decision.set(a.id, policies.forSite(a.site).decide(a.kind, a.severity));
    const m = muted(a.site, a.camera, a.kind, receivedAtMs);
    if (m) suppressedBy.set(a.id, m);
  }
  // The flood guard counts what would be shown: alarms not shelved or out of service. Planned as if
  // every alarm were new (the usual batch), before the insert, so its verdict is stored with the row.
  const candidates = list.filter((it) => !suppressedBy.has(it.alarm.id)).map((it) => it.alarm);
  const guard = await loadFloodGuard(trx, candidates, policies, options.dialect);
  let flood = guard.plan(candidates);
  for (const id of flood.suppressed) suppressedBy.set(id, 'flood');
  const fresh = new Set<string>();
  for (let i = 0; i < list.length; i += ALARM_CHUNK) {
    const rows = list.slice(i, i + ALARM_CHUNK).map(({ alarm: a, streamSeq, receivedAtMs }) => ({
      id: a.id,
      site: a.site,
      camera: a.camera,
      zone: a.zone,
      kind: a.kind,
      state: a.state,
      severity: a.severity,
      episode: a.episode,
      edge: a.edge,
      captured_at_ms: capturedMs(a),
      media_time: a.mediaTime,
      received_at_ms: receivedAtMs,
      density: a.crowd?.density ?? null,
      message: a.message ?? null,
      payload: JSON.stringify(a),
      stream_seq: streamSeq ?? null,
      outcome: decision.get(a.id)!.outcome,
      suppressed: suppressedBy.get(a.id) ?? null,
    }));
    const inserted = await insertRows<{ id: string }>(trx, options.dialect, 'alarms', ALARM_COLUMNS, rows, ' on conflict ("id") do nothing returning "id"');
    for (const r of inserted) fresh.add(r.id);
  }
  for (const it of list) (fresh.has(it.alarm.id) ? result.stored : result.duplicates).push(it.alarm.id);

  // Some were redeliveries: they count once, so plan again over the new ones and fix the rows whose verdict moved.
  if (candidates.some((a) => !fresh.has(a.id))) {
    const again = guard.plan(candidates.filter((a) => fresh.has(a.id)));
    for (const a of candidates) {
      if (!fresh.has(a.id) || again.suppressed.has(a.id) === flood.suppressed.has(a.id)) continue;
      const now = again.suppressed.has(a.id) ? 'flood' : null;
      await trx.updateTable('alarms').set({ suppressed: now }).where('id', '=', a.id).execute();
      if (now) suppressedBy.set(a.id, now); else suppressedBy.delete(a.id);
    }
    flood = again;
  }
  await guard.commit(flood);
  for (const f of flood.summaries) result.events.push({ type: 'alarm.flood', site: f.site, data: f });
  const ingested = (it: IncomingAlarm, incidentId: string | null): PendingEvent => ingestedEvent(it, incidentId, decision.get(it.alarm.id)!.outcome, suppressedBy.get(it.alarm.id) ?? null);

  // One key at a time, in a fixed order, so that two replicas lock incidents in the same order.
  const groups = new Map<string, IncomingAlarm[]>();
  for (const it of list) {
    if (!fresh.has(it.alarm.id)) continue;
    const verdict = decision.get(it.alarm.id)!;
    const muteType = suppressedBy.get(it.alarm.id);
    // Feed only, shelved or out of service: stored and logged, no incident. A flooding source still correlates.
    if (verdict.outcome === 'feed' || muteType === 'shelved' || muteType === 'out_of_service') {
      result.events.push(ingested(it, null));
      continue;
    }
    const key = correlationKey(it.alarm.site, it.alarm.zone, it.alarm.kind, it.alarm.camera);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(it);
  }
  const links: { incident_id: string; alarm_id: string; joined_at_ms: number }[] = [];
  const audits: AuditEntry[] = [];
  const keys = [...groups.keys()].sort();
  // One read for every key of the batch (locked, in key order, on PostgreSQL).
  const gathering = await findGatheringMany(trx, keys, options.dialect);
  /** incidents changed in memory, written once at the end of the batch */
  const dirty = new Map<string, IncidentRow>();

  for (const key of keys) {
    const group = groups.get(key)!.sort((a, b) => capturedMs(a.alarm) - capturedMs(b.alarm));
    let current = gathering.get(key) ?? null;
    for (const it of group) {
      const a = it.alarm;
      const t = capturedMs(a);
      const inWindow = current && t <= current.last_alarm_at_ms + options.windowMs && t >= current.first_alarm_at_ms - options.windowMs;
      if (!inWindow) {
        if (a.state === 'cleared') {
          // A clear with no incident to attach to is kept as an alarm only.
          result.events.push(ingested(it, null));
          continue;
        }
        if (current && t < current.first_alarm_at_ms - options.windowMs) {
          // A late alarm from long before the gathering incident (an edge's backlog
          // after an outage): it gets an incident of its own that does not gather,
          // and the current one keeps gathering.
          const row = { ...newIncident(newId(), key, it, decision.get(a.id)!), correlation_key: null };
          await trx.insertInto('incidents').values(row).execute();
          result.incidentsCreated++;
          links.push({ incident_id: row.id, alarm_id: a.id, joined_at_ms: it.receivedAtMs });
          audits.push({ atMs: it.receivedAtMs, actor: SYSTEM, action: 'incident.created', entity: 'incident', entityId: row.id, note: `opened by late ${a.kind} alarm ${a.id} (captured before the open incident)`, data: { alarm: a.id, severity: a.severity, late: true } });
          result.events.push(ingested(it, row.id));
          result.events.push({ type: 'incident.created', site: a.site, data: { incident: toSummary(row), alarmId: a.id } });
          continue;
        }
        if (current) {
          // The window has passed: the old incident keeps its status but stops gathering.
          await writeIncidents(trx, [...dirty.values()].filter((d) => d.id === current!.id), options.dialect);
          dirty.delete(current.id);
          await trx.updateTable('incidents').set({ correlation_key: null }).where('id', '=', current.id).execute();
          current = null;
        }
        const row = newIncident(newId(), key, it, decision.get(a.id)!);
        const ins = await trx.insertInto('incidents').values(row).onConflict((oc) => oc.column('correlation_key').doNothing()).returning('id').execute();
        if (ins.length === 1) {
          current = row;
          result.incidentsCreated++;
          links.push({ incident_id: row.id, alarm_id: a.id, joined_at_ms: it.receivedAtMs });
          audits.push({ atMs: it.receivedAtMs, actor: SYSTEM, action: 'incident.created', entity: 'incident', entityId: row.id, note: `opened by ${a.kind} alarm ${a.id}`, data: { alarm: a.id, severity: a.severity } });
          result.events.push(ingested(it, row.id));
          result.events.push({ type: 'incident.created', site: a.site, data: { incident: toSummary(row), alarmId: a.id } });
          continue;
        }
        // Another replica created it between our look and our insert: join theirs.
        current = (await findGatheringMany(trx, [key], options.dialect)).get(key) ?? null;
        if (!current) throw new Error(`incident for ${key} vanished during correlation`);
      }
      const inc = current!;
      links.push({ incident_id: inc.id, alarm_id: a.id, joined_at_ms: it.receivedAtMs });
      result.events.push(ingested(it, inc.id));
      const change = joinAlarm(inc, it, rising, audits, policies);
      dirty.set(inc.id, inc);
      result.events.push({ type: 'incident.updated', site: a.site, data: { incident: toSummary(inc), change, alarmId: a.id } });
    }
  }
  await writeIncidents(trx, [...dirty.values()], options.dialect);
  result.incidentsUpdated = dirty.size;

  for (let i = 0; i < links.length; i += 1000) await insertRows(trx, options.dialect, 'incident_alarms', LINK_COLUMNS, links.slice(i, i + 1000), '');
  for (let i = 0; i < audits.length; i += 500) await appendAudit(trx, audits.slice(i, i + 500));
  return result;
}

/**
 * Writes the incidents changed by a batch. PostgreSQL: one upsert on the
 * primary key (one round trip). SQLite runs in-process, where one small UPDATE
 * per incident costs less than building the upsert.
 */
async function writeIncidents(trx: Transaction<Database> | Kysely<Database>, rows: IncidentRow[], dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (!rows.length) return;
  for (const r of rows) r.version++;
  if (dialect === 'sqlite') {
    for (const r of rows) await trx.updateTable('incidents').set({ ...mutableFields(r), version: r.version }).where('id', '=', r.id).execute();
    return;
  }
  for (let i = 0; i < rows.length; i += 500) {
    await trx.insertInto('incidents').values(rows.slice(i, i + 500)).onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({
      severity: eb.ref('excluded.severity'),
      updated_at_ms: eb.ref('excluded.updated_at_ms'),
      first_alarm_at_ms: eb.ref('excluded.first_alarm_at_ms'),
      last_alarm_at_ms: eb.ref('excluded.last_alarm_at_ms'),
      alarm_count: eb.ref('excluded.alarm_count'),
      peak_density: eb.ref('excluded.peak_density'),
      escalation_level: eb.ref('excluded.escalation_level'),
      cleared_at_ms: eb.ref('excluded.cleared_at_ms'),
      outcome: eb.ref('excluded.outcome'),
      all_cleared_at_ms: eb.ref('excluded.all_cleared_at_ms'),
      version: eb.ref('excluded.version'),
    }))).execute();
  }
}

const ALARM_COLUMNS = ['id', 'site', 'camera', 'zone', 'kind', 'state', 'severity', 'episode', 'edge', 'captured_at_ms', 'media_time', 'received_at_ms', 'density', 'message', 'payload', 'stream_seq', 'outcome', 'suppressed'] as const;
const LINK_COLUMNS = ['incident_id', 'alarm_id', 'joined_at_ms'] as const;
const insertSql = new Map<string, string>();

/**
 * Multi-row INSERT for the two hot tables, with the SQL text cached per shape.
 * Building a Kysely query tree for 500 × 16 values took a third of ingest's CPU;
 * this text is fixed and the values still travel as bound parameters.
 */
async function insertRows<R>(trx: Transaction<Database> | Kysely<Database>, dialect: 'sqlite' | 'postgres', table: string, columns: readonly string[], rows: readonly Record<string, unknown>[], suffix: string): Promise<R[]> {
  const shape = `${dialect}|${table}|${rows.length}|${suffix}`;
  let text = insertSql.get(shape);
  if (!text) {
    let n = 0;
    const tuple = () => `(${columns.map(() => (dialect === 'postgres' ? `$${++n}` : '?')).join(',')})`;
    text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(',')}) values ${rows.map(tuple).join(',')}${suffix}`;
    if (insertSql.size > 64) insertSql.clear();
    insertSql.set(shape, text);
  }
  const params: unknown[] = [];
  for (const r of rows) for (const c of columns) params.push(r[c]);
  return (await trx.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

function ingestedEvent(it: IncomingAlarm, incidentId: string | null, outcome: string, suppressed: string | null): PendingEvent {
  const a = it.alarm;
  return { type: 'alarm.ingested', site: a.site, data: { id: a.id, site: a.site, camera: a.camera, zone: a.zone, kind: a.kind, state: a.state, severity: a.severity, capturedAtMs: capturedMs(a), incidentId, outcome, suppressed } };
}

async function findGatheringMany(trx: Transaction<Database> | Kysely<Database>, keys: readonly string[], dialect: 'sqlite' | 'postgres'): Promise<Map<string, IncidentRow>> {
  const out = new Map<string, IncidentRow>();
  for (let i = 0; i < keys.length; i += 500) {
    let q = trx.selectFrom('incidents').selectAll().where('correlation_key', 'in', keys.slice(i, i + 500)).orderBy('correlation_key');
    if (dialect === 'postgres') q = q.forUpdate();
    // Transitions out of GATHERING clear the key, so a keyed row is always gathering.
    for (const row of await q.execute()) if (row.correlation_key && GATHERING.has(row.status)) out.set(row.correlation_key, row);
  }
  return out;
}

function newIncident(id: string, key: string, it: IncomingAlarm, verdict: PolicyDecision): IncidentRow {
  const a = it.alarm;
  const t = capturedMs(a);
  return {
    outcome: verdict.outcome === 'dispatch' ? 'dispatch' : 'incident',
    assigned_role: verdict.role,
    plan_level: null,
    plan_activated_at_ms: null,
    plan_activated_by: null,
    plan_note: null,
    on_scene_due_ms: null,
    acked_at_ms: null,
    acked_by: null,
    all_cleared_at_ms: null,
    id,
    site: a.site,
    zone: a.zone ?? '',
    kind: a.kind,
    status: 'open',
    severity: a.severity,
    title: `${a.kind} at ${a.site}/${a.zone ?? a.camera}`,
    correlation_key: key,
    opened_at_ms: it.receivedAtMs,
    updated_at_ms: it.receivedAtMs,
    first_alarm_at_ms: t,
    last_alarm_at_ms: t,
    alarm_count: 1,
    peak_density: a.crowd?.density ?? null,
    escalation_level: 0,
    cleared_at_ms: null,
    closed_at_ms: null,
    version: 1,
  };
}

function mutableFields(r: IncidentRow) {
  return {
    severity: r.severity,
    outcome: r.outcome,
    all_cleared_at_ms: r.all_cleared_at_ms,
    updated_at_ms: r.updated_at_ms,
    first_alarm_at_ms: r.first_alarm_at_ms,
    last_alarm_at_ms: r.last_alarm_at_ms,
    alarm_count: r.alarm_count,
    peak_density: r.peak_density,
    escalation_level: r.escalation_level,
    cleared_at_ms: r.cleared_at_ms,
  };
}

/**
 * Folds one alarm into an incident (in memory). Severity is the highest seen;
 * a crowd density rising past the peak by `rising` escalates one level and is
 * recorded; a `cleared` alarm is shown in the timeline but does not close it.
 */
function joinAlarm(inc: IncidentRow, it: IncomingAlarm, rising: number, audits: AuditEntry[], policies: AlarmPolicies): 'alarm' | 'escalated' | 'cleared' {
  const a = it.alarm;
  const t = capturedMs(a);
  inc.alarm_count++;
  inc.updated_at_ms = Math.max(inc.updated_at_ms, it.receivedAtMs);
  if (a.state === 'cleared') {
    inc.cleared_at_ms = Math.max(inc.cleared_at_ms ?? 0, t);
    return 'cleared';
  }
  // Trouble again: any suggestion to resolve no longer stands.
  inc.all_cleared_at_ms = null;
  inc.last_alarm_at_ms = Math.max(inc.last_alarm_at_ms, t);
  inc.first_alarm_at_ms = Math.min(inc.first_alarm_at_ms, t);
  const before: Severity = inc.severity;
  let next: Severity = maxSeverity(before, a.severity);
  const reasons: string[] = [];
  const density = a.crowd?.density;
  if (density !== undefined) {
    const peak = inc.peak_density;
    if (peak !== null && density > peak * (1 + rising)) {
      reasons.push(`crowd density rose from ${peak.toFixed(2)} to ${density.toFixed(2)} persons/m² (LOS ${a.crowd!.los})`);
      next = maxSeverity(next, bumpSeverity(before));
    }
    if (peak === null || density > peak) inc.peak_density = density;
  }
  if (next !== before && reasons.length === 0) reasons.push(`a ${a.severity} alarm arrived`);
  if (reasons.length === 0) return 'alarm';
  inc.severity = next;
  inc.escalation_level++;
  // A graver incident may come to call for units by itself; it never goes back to waiting.
  const outcome = maxOutcome(inc.outcome ?? 'incident', policies.forSite(inc.site).decide(inc.kind, next).outcome);
  inc.outcome = outcome === 'dispatch' ? 'dispatch' : 'incident';
  audits.push({
    atMs: it.receivedAtMs, actor: SYSTEM, action: 'incident.escalated', entity: 'incident', entityId: inc.id,
    note: `${reasons.join('; ')}; severity ${before} → ${next}`,
    data: { alarm: a.id, from: before, to: next, level: inc.escalation_level, density: density ?? null },
  });
  return 'escalated';
}
