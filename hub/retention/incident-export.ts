import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NotFoundError } from '../store/not-found.ts';
import type { Database } from '../store/schema.ts';

/**
 * An incident's full record, as one self-contained JSON document: the
 * incident, every alarm that joined it (the payloads as the edges sent them),
 * its dispatches, reports and deadline warnings, and every audit entry about
 * any of these, including who viewed its snapshots. A SHA-256 over the
 * document lets a recipient check it is the one exported. `vigil export`
 * writes it (with the snapshot JPEGs, hashed, when asked).
 */
export const RECORD_FORMAT = 'vigil.incident-record/1';

export interface SnapshotFile { alarmId: string; bucket: string; name: string; file: string | null; bytes: number | null; sha256: string | null; error?: string }

export interface IncidentRecord {
  format: typeof RECORD_FORMAT;
  exportedAt: string;
  incident: Record<string, unknown>;
  alarms: Record<string, unknown>[];
  dispatches: Record<string, unknown>[];
  reports: Record<string, unknown>[];
  warnings: Record<string, unknown>[];
  audit: Record<string, unknown>[];
  snapshots: SnapshotFile[];
  /** SHA-256 (hex) of this document serialised without this field */
  sha256: string;
}

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
const parse = (s: string | null) => (s === null ? null : (() => { try { return JSON.parse(s) as unknown; } catch { return s; } })());

/** Every `*_ms` column also as ISO 8601, for people reading the file. */
function readable<T extends object>(row: T): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [k, v] of Object.entries(row)) if (k.endsWith('_ms') && v !== null) out[`${k.slice(0, -3)}_at`.replace(/_at_at$/, '_at')] = iso(v);
  return out;
}

export function recordHash(record: Omit<IncidentRecord, 'sha256'>): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

export async function exportIncident(db: Kysely<Database>, id: string, o: { now: number; snapshot?: (alarmId: string, ref: { bucket: string; name: string }) => Promise<SnapshotFile> }): Promise<IncidentRecord> {
  const incident = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!incident) throw new NotFoundError('incident', id);
  const alarms = await db.selectFrom('incident_alarms').innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
    .selectAll('alarms').select('incident_alarms.joined_at_ms').where('incident_alarms.incident_id', '=', id).orderBy('alarms.captured_at_ms').orderBy('alarms.id').execute();
  const dispatches = await db.selectFrom('dispatches').selectAll().where('incident_id', '=', id).orderBy('ordered_at_ms').execute();
  const reports = await db.selectFrom('incident_reports').selectAll().where('incident_id', '=', id).orderBy('due_at_ms').execute();
  const warnings = await db.selectFrom('ops_warnings').selectAll().where('entity', '=', 'incident').where('entity_id', '=', id).orderBy('raised_at_ms').execute();
  const about = [
    { entity: 'incident', ids: [id] },
    { entity: 'dispatch', ids: dispatches.map((d) => d.id) },
    { entity: 'alarm', ids: alarms.map((a) => a.id) },
  ].filter((x) => x.ids.length);
  const audit = await db.selectFrom('audit_log').selectAll()
    .where((eb) => eb.or(about.map((x) => eb.and([eb('entity', '=', x.entity), eb('entity_id', 'in', x.ids)]))))
    .orderBy('id').execute();
  const snapshots: SnapshotFile[] = [];
  for (const a of alarms) {
    const ref = (parse(a.payload) as { snapshot?: { bucket: string; name: string } } | null)?.snapshot;
    if (!ref) continue;
    snapshots.push(o.snapshot ? await o.snapshot(a.id, ref) : { alarmId: a.id, bucket: ref.bucket, name: ref.name, file: null, bytes: null, sha256: null });
  }
  const body: Omit<IncidentRecord, 'sha256'> = {
    format: RECORD_FORMAT,
    exportedAt: new Date(o.now).toISOString(),
    incident: readable(incident),
    alarms: alarms.map((a) => ({ ...readable({ ...a, payload: undefined }), payload: undefined, alarm: parse(a.payload) })),
    dispatches: dispatches.map((d) => ({ ...readable(d), order_json: undefined, order: parse(d.order_json) })),
    reports: reports.map((r) => ({ ...readable(r), body: parse(r.body) })),
    warnings: warnings.map((w) => ({ ...readable(w), detail: parse(w.detail) })),
    audit: audit.map((e) => ({ ...readable(e), data: parse(e.data) })),
    snapshots,
  };
  // Undefined fields vanish in JSON; drop them now so the hash is of what is written.
  const clean = JSON.parse(JSON.stringify(body)) as Omit<IncidentRecord, 'sha256'>;
  return { ...clean, sha256: recordHash(clean) };
}
