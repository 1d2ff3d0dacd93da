import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { GATHERING } from '../incidents/lifecycle.ts';
import { INCIDENT_STATUSES, type Database } from '../store/schema.ts';

/**
 * How long the hub keeps what it stores, so that neither time nor a
 * compromised edge can fill its disk:
 * - alarms older than alarmsMs, unless an incident still gathering holds them
 *   (their incident stays, with its counts and audit trail);
 * - dead letters older than deadLettersMs;
 * - the audit log older than auditMs, kept longest (the config checks it), and
 *   written first to exportDir as JSON lines whose SHA-256 is recorded in
 *   audit_exports: the database deletes only rows an export covers;
 * - snapshots live in the Object Store, whose own max age is set from
 *   snapshotsMs (common/transport/alarm-stream.ts);
 * - expired sessions, stream tickets and login limits (`sweep`).
 * Every step is idempotent, so replicas may run it at the same time.
 */
export interface RetentionPolicy {
  alarmsMs: number;
  deadLettersMs: number;
  auditMs: number;
  /** where audit exports go (created when missing) */
  exportDir: string;
  /** @default 1 hour */
  intervalMs?: number;
}

export interface RetentionReport {
  alarms: number;
  deadLetters: number;
  audit: { exported: number; deleted: number; files: string[] };
  swept: number;
}

export interface Retention {
  runOnce(): Promise<RetentionReport>;
  start(): void;
  stop(): Promise<void>;
}

const BATCH = 5_000;
const FINAL = INCIDENT_STATUSES.filter((s) => !GATHERING.has(s));

export function createRetention(o: { db: Kysely<Database>; clock: Clock; logger: Logger; policy: RetentionPolicy; sweep?: () => Promise<number> }): Retention {
  const p = Object.freeze({ ...o.policy });
  let timer: TimerHandle | null = null;
  let running: Promise<RetentionReport> | null = null;

  async function deleteAlarms(cutoff: number): Promise<number> {
    let total = 0;
    for (;;) {
      // Alarms of incidents still gathering are kept whatever their age: the incident is live.
      const ids = (await o.db.selectFrom('alarms').select('id').where('captured_at_ms', '<', cutoff)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('incident_alarms').innerJoin('incidents', 'incidents.id', 'incident_alarms.incident_id')
          .select('incident_alarms.alarm_id').whereRef('incident_alarms.alarm_id', '=', 'alarms.id').where('incidents.status', 'not in', FINAL))))
        .limit(BATCH).execute()).map((r) => r.id);
      if (!ids.length) return total;
      await o.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('incident_alarms').where('alarm_id', 'in', ids).execute();
        await trx.deleteFrom('alarms').where('id', 'in', ids).execute();
      });
      total += ids.length;
      if (ids.length < BATCH) return total;
    }
  }

  async function deleteDeadLetters(cutoff: number): Promise<number> {
    const r = await o.db.deleteFrom('dead_letters').where('at_ms', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Exports the oldest audit rows (id order) that are all past the cutoff, then deletes them. */
  async function exportAudit(cutoff: number): Promise<RetentionReport['audit']> {
    const out: RetentionReport['audit'] = { exported: 0, deleted: 0, files: [] };
    for (;;) {
      const last = Number((await o.db.selectFrom('audit_exports').select((eb) => eb.fn.max('upto_id').as('m')).executeTakeFirst())?.m ?? 0);
      // The first row still inside the retention ends the range: deletion is by id, so it must not pass a younger row.
      const firstYoung = await o.db.selectFrom('audit_log').select('id').where('id', '>', last).where('at_ms', '>=', cutoff).orderBy('id').limit(1).executeTakeFirst();
      let q = o.db.selectFrom('audit_log').selectAll().where('id', '>', last).orderBy('id').limit(BATCH * 4);
      if (firstYoung) q = q.where('id', '<', Number(firstYoung.id));
      const rows = await q.execute();
      if (!rows.length) return out;
      const fromId = Number(rows[0]!.id);
      const uptoId = Number(rows.at(-1)!.id);
      mkdirSync(p.exportDir, { recursive: true });
      const file = path.join(p.exportDir, `audit-${String(fromId).padStart(12, '0')}-${String(uptoId).padStart(12, '0')}.jsonl`);
      const partial = `${file}.part-${process.pid}`;
      const hash = createHash('sha256');
      const fd = openSync(partial, 'w', 0o600);
      try {
        for (const r of rows) {
          const line = `${JSON.stringify({ ...r, at: new Date(Number(r.at_ms)).toISOString(), data: r.data === null ? null : JSON.parse(r.data) })}\n`;
          hash.update(line);
          writeSync(fd, line);
        }
        // On disk before the rows it holds can be deleted.
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const sha256 = hash.digest('hex');
      const claimed = await o.db.transaction().execute(async (trx) => {
        const ins = await trx.insertInto('audit_exports').values({ from_id: fromId, upto_id: uptoId, rows: rows.length, at_ms: o.clock.now(), file: path.basename(file), sha256 })
          .onConflict((oc) => oc.column('from_id').doNothing()).executeTakeFirst();
        // Another replica exported this range at the same moment: its file and record stand.
        if (Number(ins.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
        const del = await trx.deleteFrom('audit_log').where('id', '>=', fromId).where('id', '<=', uptoId).executeTakeFirst();
        out.deleted += Number(del.numDeletedRows);
        return true;
      });
      if (!claimed) { rmSync(partial, { force: true }); return out; }
      renameSync(partial, file);
      out.exported += rows.length;
      out.files.push(file);
      o.logger.info('audit exported before deletion', { file, rows: rows.length, sha256 });
      if (rows.length < BATCH * 4) return out;
    }
  }

  async function runOnce(): Promise<RetentionReport> {
    const now = o.clock.now();
    const report: RetentionReport = {
      alarms: await deleteAlarms(now - p.alarmsMs),
      deadLetters: await deleteDeadLetters(now - p.deadLettersMs),
      audit: await exportAudit(now - p.auditMs),
      swept: o.sweep ? await o.sweep() : 0,
    };
    if (report.alarms || report.deadLetters || report.audit.deleted) o.logger.info('retention', { alarms: report.alarms, deadLetters: report.deadLetters, audit: report.audit.deleted });
    return report;
  }

  const tick = () => {
    if (running) return;
    running = runOnce().catch((err) => {
      o.logger.error('retention run failed; tried again next time', { err: errorMessage(err) });
      return { alarms: 0, deadLetters: 0, audit: { exported: 0, deleted: 0, files: [] }, swept: 0 };
    }).finally(() => { running = null; });
  };

  return {
    runOnce: () => (running ??= runOnce().finally(() => { running = null; })),
    start() { if (!timer) { timer = o.clock.setInterval(tick, p.intervalMs ?? 3_600_000); tick(); } },
    async stop() { timer?.cancel(); timer = null; await running?.catch(() => undefined); },
  };
}
