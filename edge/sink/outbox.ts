import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SEVERITY_RANK, type Severity } from '../../common/alarm.ts';
import { StoreError, ValidationError, VigilError, errorMessage } from '../../common/errors.ts';
import { ALARM_HOLD_MS } from '../../common/transport/alarm-stream.ts';
import { createStatusChannel } from '../../common/transport/status-channel.ts';

/**
 * The edge's durable outbox: an alarm is committed here (WAL, synchronous=FULL)
 * before anything goes on the wire, and deleted only when its JetStream PubAck
 * arrives. Snapshots wait in a side table so that they, too, survive an outage
 * and a crash, and are uploaded before their alarm is published.
 *
 * A full disk is a pause, not a loss. Free space is checked before every
 * commit batch; under pressure alarms are stored without their snapshots; a
 * reserve file kept beside the outbox is given up when a commit fails for
 * space, so that alarms still commit; and when even that is gone, alarms wait
 * in a bounded in-memory queue (criticals first, never a critical dropped)
 * and are committed, without snapshots, as soon as space comes back.
 */

export interface OutboxOptions {
  /** SQLite file; ':memory:' only for unit tests (it is not durable) */
  file: string;
  /** bound on queued alarms; @default 100_000 */
  maxRows?: number;
  /** the DB file size above which disk pressure is reported; @default 1 GiB */
  maxDbBytes?: number;
  /** free space on the volume below which disk pressure is reported and snapshots are no longer stored; @default 256 MiB */
  minFreeBytes?: number;
  /**
   * Bytes held in a reserve file beside the outbox (`<file>.reserve`), given
   * up when a commit fails for space so that alarms still commit; re-made once
   * space is back. 0 disables it. @default 0 (edge.yaml's outbox.reserveMB: 64)
   */
  reserveBytes?: number;
  /** alarms held in memory while the disk refuses commits; criticals go beyond it; @default 10_000 */
  maxHeld?: number;
  /** how often held alarms are tried again; @default 1_000 ms */
  retryHeldMs?: number;
  /**
   * How long an alarm may wait and still be de-duplicated by the stream: the
   * stream's duplicate_window (the publisher reads it back from the server).
   * @default ALARM_HOLD_MS
   */
  maxHoldMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface OutboxEntry {
  id: string;
  subject: string;
  severity: Severity;
  payload: Uint8Array;
  snapshot?: { name: string; jpeg: Uint8Array } | undefined;
  /** the payload without its snapshot reference, for when the snapshot cannot be kept (disk pressure) */
  payloadWithoutSnapshot?: Uint8Array | undefined;
}

export interface OutboxRow {
  seq: number;
  id: string;
  subject: string;
  severity: Severity;
  payload: Buffer;
  createdAt: number;
  attempts: number;
  /** the snapshot object name still to upload, or null */
  snapshotName: string | null;
}

/**
 * The disk as the outbox sees it (the edge's `edge.disk` health):
 * - ok: room to spare;
 * - low: free space below minFreeBytes (or the DB over maxDbBytes): alarms are stored without snapshots;
 * - reserve: a commit failed for space and the reserve file was given up: alarms commit into it;
 * - full: commits fail: alarms wait in memory (not durable across a crash) until space is back.
 */
export type DiskState = 'ok' | 'low' | 'reserve' | 'full';

export type OutboxStatus =
  | { type: 'depth'; depth: number; oldestAgeMs: number }
  | { type: 'dropped'; id: string; severity: Severity; reason: 'evicted' | 'refused' | 'disk-full' }
  | { type: 'full'; depth: number; critical: number; message: string }
  | { type: 'disk'; warning: boolean; state: DiskState; freeBytes: number; dbBytes: number; held: number; message: string }
  | { type: 'held-too-long'; id: string; ageMs: number; holdMs: number };

export interface OutboxStats {
  /** alarms not yet acknowledged by the stream: in the database and held in memory */
  depth: number;
  bySeverity: Record<Severity, number>;
  oldestAgeMs: number;
  dbBytes: number;
  dropped: number;
  /** alarms refused (never accepted): a full outbox of higher severities, or a full disk with the memory queue full */
  refused: number;
  diskWarning: string | null;
  disk: {
    state: DiskState;
    freeBytes: number | null;
    reserveBytes: number;
    /** alarms waiting in memory for the disk */
    held: number;
    heldBySeverity: Record<Severity, number>;
    /** alarms stored without their snapshot for lack of space */
    snapshotsDropped: number;
    /** alarms refused or evicted for lack of space (never a critical) */
    refused: number;
  };
}

/** A new alarm refused because the outbox is full of alarms that outrank it (the policy never drops a critical). */
export class OutboxFullError extends VigilError {
  constructor(readonly severity: Severity, readonly depth: number, message?: string) {
    super('OUTBOX_FULL', message ?? `outbox full (${depth} alarms, none of lower or equal severity to drop): ${severity} alarm refused`);
  }
}

/** What a full volume looks like from SQLite or the file system. */
export function isDiskFullError(err: unknown): boolean {
  for (let e = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (/^SQLITE_(FULL|IOERR)/.test(code) || code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (/database or disk is full|no space left|disk I\/O error/i.test(errorMessage(e))) return true;
  }
  return false;
}

interface Held { entry: OutboxEntry; order: number }
const RESERVE_CHUNK = 64 * 1024;

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

function prepareStatements(db: Database.Database) {
  return {
    insert: db.prepare('INSERT OR IGNORE INTO outbox (id, subject, severity, payload, created_at) VALUES (?, ?, ?, ?, ?)'),
    insertSnap: db.prepare('INSERT OR REPLACE INTO snapshot (alarm_id, name, jpeg) VALUES (?, ?, ?)'),
    exists: db.prepare('SELECT 1 AS x FROM outbox WHERE id = ?'),
  oldestOf: db.prepare('SELECT id FROM outbox WHERE severity = ? ORDER BY seq LIMIT 1'),
    deleteOne: db.prepare('DELETE FROM outbox WHERE id = ? RETURNING severity'),
    deleteSnap: db.prepare('DELETE FROM snapshot WHERE alarm_id = ?'),
    due: db.prepare(`SELECT o.seq, o.id, o.subject, o.severity, o.payload, o.created_at AS createdAt, o.attempts, s.name AS snapshotName
      FROM outbox o LEFT JOIN snapshot s ON s.alarm_id = o.id WHERE o.seq > ? AND o.next_at <= ? ORDER BY o.seq LIMIT ?`),
    nextRetry: db.prepare('SELECT MIN(next_at) AS t FROM outbox WHERE next_at > 0'),
    oldest: db.prepare('SELECT MIN(created_at) AS t FROM outbox'),
    retryAll: db.prepare('UPDATE outbox SET next_at = 0 WHERE next_at > 0'),
  fail: db.prepare('UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?'),
    snapJpeg: db.prepare('SELECT jpeg FROM snapshot WHERE alarm_id = ?'),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

export class Outbox {
  readonly file: string;
  readonly #opts: Readonly<Required<Omit<OutboxOptions, 'file'>>>;
  #db: Database.Database;
  #status = createStatusChannel<OutboxStatus>();
  #counts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
  #dropped = 0;
  #refused = 0;
  #diskWarning: string | null = null;
  #diskState: DiskState = 'ok';
  #freeBytes: number | null = null;
  #reserveFile: string | null;
  #reserveHeld = 0;
  #lastReserveTry = 0;
  #held: Held[] = [];
  #heldCounts: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
  #heldOrder = 0;
  #heldTimer: NodeJS.Timeout | null = null;
  #lastHeldFail = 0;
  #diskRefused = 0;
  #snapshotsDropped = 0;
  #wasFull = false;
  #pending: { entry: OutboxEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushScheduled = false;
  #listeners = new Set<() => void>();
  #warnedHeld = new Set<string>();
  #closed = false;
  #maxHoldMs: number;
  #lastDepthAt = 0;
  #depthTimer: NodeJS.Timeout | null = null;
  #stmts: Statements;

  constructor(options: OutboxOptions) {
    const opts = {
      maxRows: options.maxRows ?? 100_000,
      maxDbBytes: options.maxDbBytes ?? 1024 ** 3,
      minFreeBytes: options.minFreeBytes ?? 256 * 1024 ** 2,
      reserveBytes: options.reserveBytes ?? 0,
      maxHeld: options.maxHeld ?? 10_000,
      retryHeldMs: options.retryHeldMs ?? 1_000,
      maxHoldMs: options.maxHoldMs ?? ALARM_HOLD_MS,
      now: options.now ?? Date.now,
    };
    if (!Number.isInteger(opts.maxRows) || opts.maxRows < 1) throw new ValidationError('outbox.maxRows', `must be a positive integer (got ${opts.maxRows})`);
    if (!(opts.maxDbBytes > 0)) throw new ValidationError('outbox.maxDbBytes', 'must be positive');
    if (!(opts.minFreeBytes >= 0)) throw new ValidationError('outbox.minFreeBytes', 'must be >= 0');
    if (!(opts.maxHoldMs > 0)) throw new ValidationError('outbox.maxHoldMs', 'must be positive');
    if (!(opts.reserveBytes >= 0)) throw new ValidationError('outbox.reserveBytes', 'must be >= 0');
    if (!Number.isInteger(opts.maxHeld) || opts.maxHeld < 1) throw new ValidationError('outbox.maxHeld', `must be a positive integer (got ${opts.maxHeld})`);
    if (!(opts.retryHeldMs > 0)) throw new ValidationError('outbox.retryHeldMs', 'must be positive');
    this.#opts = Object.freeze(opts);
    this.#reserveFile = options.file === ':memory:' || opts.reserveBytes === 0 ? null : `${path.resolve(options.file)}.reserve`;
    this.#maxHoldMs = opts.maxHoldMs;
    this.file = options.file;
    let opened: Database.Database | undefined;
    try {
      if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
      this.#db = opened = new Database(options.file);
      this.#db.pragma('journal_mode = WAL');
      // Every commit here gates an acknowledgement (the alarm is "accepted"),
      // so it must be on disk when the commit returns.
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('busy_timeout = 5000');
      // One process per outbox: a second edge on the same file would send every
      // alarm twice. The lock is the OS's, so it goes with a killed process.
      this.#db.pragma('locking_mode = EXCLUSIVE');
      this.#db.exec(`
        CREATE TABLE IF NOT EXISTS outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          subject TEXT NOT NULL,
          severity INTEGER NOT NULL,
          payload BLOB NOT NULL,
          created_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS outbox_severity ON outbox (severity, seq);
        CREATE TABLE IF NOT EXISTS snapshot (
          alarm_id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          jpeg BLOB NOT NULL
        );
      `);
      this.#db.exec('BEGIN EXCLUSIVE; COMMIT');
      this.#stmts = prepareStatements(this.#db);
      for (const r of this.#db.prepare('SELECT severity, COUNT(*) AS n FROM outbox GROUP BY severity').all() as { severity: number; n: number }[]) {
        this.#counts[SEVERITIES[r.severity] ?? 'critical'] += r.n;
      }
      this.#reserveHeld = this.#reserveFile ? fileSize(this.#reserveFile) : 0;
      // Makes the reserve (when there is room for it) and sets the first disk state.
      this.checkDisk();
    } catch (err) {
      // A half-opened handle (e.g. the file is locked by another edge) would leak its file descriptor.
      if (opened?.open) opened.close();
      const busy = (err as { code?: string }).code === 'SQLITE_BUSY';
      throw new StoreError('OUTBOX_OPEN', `cannot open outbox ${options.file}: ${busy ? 'it is in use by another process (one edge per outbox)' : errorMessage(err)}`, { cause: err });
    }
  }

  get options(): Readonly<Required<Omit<OutboxOptions, 'file'>>> { return this.#opts; }

  /** The hold time, adopted from the stream's duplicate window so the two cannot drift. */
  get maxHoldMs(): number { return this.#maxHoldMs; }

  setMaxHoldMs(ms: number): void {
    if (!(ms > 0)) throw new ValidationError('outbox.maxHoldMs', 'must be positive');
    this.#maxHoldMs = ms;
  }

  get depth(): number { return this.#dbDepth + this.#held.length; }

  /** alarms committed to the database (the publisher's work list) */
  get #dbDepth(): number { return this.#counts.info + this.#counts.warning + this.#counts.critical; }

  /** False under disk pressure: the caller need not render a snapshot that would not be kept. */
  get keepsSnapshots(): boolean { return this.#diskState === 'ok'; }

  get diskState(): DiskState { return this.#diskState; }

  /**
   * Commits an alarm (and its snapshot). Calls in the same tick share one
   * transaction and one fsync (group commit); the promise resolves once the
   * alarm is on disk, or, when the disk refuses it, once it is held in memory
   * to be committed when space is back (the `disk` status says so). It rejects
   * with OutboxFullError under the severity policy.
   */
  put(entry: OutboxEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError('OUTBOX_CLOSED', 'outbox is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits several alarms in one transaction; returns, per entry, null or the error that refused it. */
  putMany(entries: readonly OutboxEntry[]): (Error | null)[] {
    const results: (Error | null)[] = [];
    const events: OutboxStatus[] = [];
    const tx = this.#db.transaction(() => {
      for (const e of entries) results.push(this.#insert(e, events));
    });
    const before = { counts: { ...this.#counts }, dropped: this.#dropped, refused: this.#refused, wasFull: this.#wasFull };
    try {
      tx();
    } catch (err) {
      this.#counts = before.counts;
      this.#dropped = before.dropped;
      this.#refused = before.refused;
      this.#wasFull = before.wasFull;
      throw new StoreError('OUTBOX_WRITE', `outbox commit failed: ${errorMessage(err)}`, { cause: err });
    }
    for (const ev of events) this.#status.push(ev);
    if (results.some((r) => r === null)) {
      this.#emitDepth();
      for (const l of this.#listeners) l();
    }
    return results;
  }

  /**
   * One commit batch. Free space is read before every batch (a burst must not
   * slip past a check that runs once a second). A commit that fails for space
   * gives up the reserve and is tried again without snapshots; if that fails
   * too, the batch waits in memory.
   */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (!batch.length) return;
    this.checkDisk();
    // Older alarms waiting for the disk go first; if they still cannot commit, neither can these.
    if (this.#held.length && Date.now() - this.#lastHeldFail >= 50) this.#retryHeld();
    if (this.#held.length) {
      batch.forEach((b) => { const err = this.#hold(b.entry); if (err) b.reject(err); else b.resolve(); });
      this.checkDisk();
      return;
    }
    const entries = batch.map((b) => b.entry);
    let results: (Error | null)[];
    try {
      results = this.putMany(this.#diskState === 'ok' ? entries : entries.map((e) => this.#withoutSnapshot(e)));
    } catch (err) {
      if (!isDiskFullError(err)) {
        for (const b of batch) b.reject(err);
        return;
      }
      this.#releaseReserve();
      try {
        results = this.putMany(entries.map((e) => this.#withoutSnapshot(e)));
        this.#diskState = 'reserve';
      } catch (again) {
        if (!isDiskFullError(again)) {
          for (const b of batch) b.reject(again);
          return;
        }
        this.#diskState = 'full';
        batch.forEach((b) => { const e = this.#hold(b.entry); if (e) b.reject(e); else b.resolve(); });
        this.checkDisk();
        return;
      }
    }
    batch.forEach((b, i) => (results[i] ? b.reject(results[i]) : b.resolve()));
  }

  #withoutSnapshot(e: OutboxEntry): OutboxEntry {
    if (!e.snapshot) return e;
    this.#snapshotsDropped++;
    return { id: e.id, subject: e.subject, severity: e.severity, payload: e.payloadWithoutSnapshot ?? e.payload };
  }

  /**
   * Keeps an alarm in memory until the disk takes it, without its snapshot.
   * Bounded like the outbox: the oldest alarm of the lowest severity present
   * makes room, never one that outranks the newcomer and never a critical; a
   * critical is always kept, beyond the bound if it must be.
   */
  #hold(entry: OutboxEntry): Error | null {
    if (this.#held.some((h) => h.entry.id === entry.id) || this.#stmts.exists.get(entry.id)) return null;
    const e = this.#withoutSnapshot(entry);
    if (this.#held.length >= this.#opts.maxHeld) {
      const rank = SEVERITY_RANK[e.severity];
      let victim = -1;
      for (const sev of ['info', 'warning'] as const) {
        if (SEVERITY_RANK[sev] > rank) break;
        if (this.#heldCounts[sev] > 0) { victim = this.#held.findIndex((h) => h.entry.severity === sev); break; }
      }
      if (victim >= 0) {
        const [v] = this.#held.splice(victim, 1);
        this.#heldCounts[v!.entry.severity]--;
        this.#dropped++;
        this.#diskRefused++;
        this.#status.push({ type: 'dropped', id: v!.entry.id, severity: v!.entry.severity, reason: 'disk-full' });
      } else if (e.severity !== 'critical') {
        this.#refused++;
        this.#dropped++;
        this.#diskRefused++;
        this.#status.push({ type: 'dropped', id: e.id, severity: e.severity, reason: 'disk-full' });
        return new OutboxFullError(e.severity, this.depth, `disk full and ${this.#held.length} alarms already wait in memory, none of lower or equal severity to drop: ${e.severity} alarm refused`);
      }
    }
    this.#held.push({ entry: e, order: ++this.#heldOrder });
    this.#heldCounts[e.severity]++;
    this.#heldTimer ??= setInterval(() => this.#retryHeldTick(), this.#opts.retryHeldMs);
    this.#heldTimer.unref?.();
    return null;
  }

  #retryHeldTick(): void {
    if (this.#closed) return;
    this.checkDisk();
    this.#retryHeld();
    this.checkDisk();
  }

  /** Commits held alarms, criticals first, in small batches, until the disk refuses again. */
  #retryHeld(): void {
    if (!this.#held.length) return;
    this.#held.sort((a, b) => SEVERITY_RANK[b.entry.severity] - SEVERITY_RANK[a.entry.severity] || a.order - b.order);
    while (this.#held.length) {
      const chunk = this.#held.slice(0, 64);
      let results: (Error | null)[];
      try {
        results = this.putMany(chunk.map((h) => h.entry));
      } catch (err) {
        this.#lastHeldFail = Date.now();
        if (!isDiskFullError(err)) this.#status.push({ type: 'disk', warning: true, state: this.#diskState, freeBytes: this.#freeBytes ?? -1, dbBytes: this.#dbBytes(), held: this.#held.length, message: `held alarms cannot be committed: ${errorMessage(err)}` });
        break;
      }
      this.#held.splice(0, chunk.length);
      chunk.forEach((h, i) => {
        this.#heldCounts[h.entry.severity]--;
        // Only the severity policy can refuse here (a full outbox of higher severities); that is reported as such.
        if (results[i]) this.#diskRefused++;
      });
    }
    if (!this.#held.length) {
      if (this.#heldTimer) clearInterval(this.#heldTimer);
      this.#heldTimer = null;
      if (this.#diskState === 'full') this.#diskState = this.#reserveHeld === 0 && this.#reserveFile ? 'reserve' : 'low';
      this.checkDisk();
    }
  }

  #insert(e: OutboxEntry, events: OutboxStatus[]): Error | null {
    const rank = SEVERITY_RANK[e.severity];
    if (this.#dbDepth >= this.#opts.maxRows && !this.#stmts.exists.get(e.id)) {
      // Make room by dropping the oldest alarm of the lowest severity present,
      // but never one that outranks the newcomer, and never a critical.
      let victim: string | null = null;
      let victimSev: Severity | null = null;
      for (const sev of ['info', 'warning'] as const) {
        if (SEVERITY_RANK[sev] > rank) break;
        if (this.#counts[sev] > 0) {
          victim = (this.#stmts.oldestOf.get(SEVERITY_RANK[sev]) as { id: string } | undefined)?.id ?? null;
          victimSev = sev;
          break;
        }
      }
      if (victim && victimSev) {
        this.#stmts.deleteOne.run(victim);
        this.#stmts.deleteSnap.run(victim);
        this.#counts[victimSev]--;
        this.#dropped++;
        events.push({ type: 'dropped', id: victim, severity: victimSev, reason: 'evicted' });
      } else if (e.severity !== 'critical') {
        this.#refused++;
        this.#dropped++;
        events.push({ type: 'dropped', id: e.id, severity: e.severity, reason: 'refused' });
        if (!this.#wasFull) {
          this.#wasFull = true;
          events.push({ type: 'full', depth: this.#dbDepth, critical: this.#counts.critical, message: `outbox holds ${this.#dbDepth} alarms that outrank a ${e.severity}; refusing new info and warning alarms` });
        }
        return new OutboxFullError(e.severity, this.#dbDepth);
      } else if (!this.#wasFull) {
        // A critical is never refused: the bound yields and this is reported.
        this.#wasFull = true;
        events.push({ type: 'full', depth: this.#dbDepth, critical: this.#counts.critical, message: `outbox is full of critical alarms (${this.#dbDepth}); accepting criticals beyond the bound` });
      }
    }
    const r = this.#stmts.insert.run(e.id, e.subject, rank, e.payload, this.#opts.now());
    if (r.changes === 0) return null; // the same alarm id again: already held, idempotent
    if (e.snapshot) this.#stmts.insertSnap.run(e.id, e.snapshot.name, e.snapshot.jpeg);
    this.#counts[e.severity]++;
    return null;
  }

  /** Rows due for sending after `afterSeq`, oldest first. */
  due(afterSeq: number, limit: number): OutboxRow[] {
    const now = this.#opts.now();
    const rows = this.#stmts.due.all(afterSeq, now, limit) as (Omit<OutboxRow, 'severity'> & { severity: number })[];
    return rows.map((r) => {
      const age = now - r.createdAt;
      if (age > this.#maxHoldMs && !this.#warnedHeld.has(r.id)) {
        this.#warnedHeld.add(r.id);
        this.#status.push({ type: 'held-too-long', id: r.id, ageMs: age, holdMs: this.#maxHoldMs });
      }
      return { ...r, severity: SEVERITIES[r.severity] ?? 'critical' };
    });
  }

  /** ms until the earliest postponed row is due again (0: one is due now); null when none is postponed. */
  msUntilRetry(): number | null {
    const t = (this.#stmts.nextRetry.get() as { t: number | null }).t;
    return t === null ? null : Math.max(0, t - this.#opts.now());
  }

  snapshotJpeg(id: string): Buffer | null {
    return (this.#stmts.snapJpeg.get(id) as { jpeg: Buffer } | undefined)?.jpeg ?? null;
  }

  /** The snapshot is in the Object Store: forget the bytes (the alarm stays until its own PubAck). */
  snapshotUploaded(id: string): void {
    this.#stmts.deleteSnap.run(id);
  }

  /**
   * Deletes acknowledged alarms, all in one transaction. A crash before this
   * commit only means a re-send, which the stream rejects as a duplicate.
   */
  ack(ids: readonly string[]): void {
    if (!ids.length) return;
    // A delete gates nothing: if a power cut undoes it, the alarm is re-sent
    // and the stream rejects it as a duplicate. So it skips the fsync; the next
    // FULL commit (or checkpoint) makes it durable along with the WAL.
    this.#db.pragma('synchronous = NORMAL');
    const tx = this.#db.transaction(() => {
      for (const id of ids) {
        const r = this.#stmts.deleteOne.get(id) as { severity: number } | undefined;
        if (r) {
          this.#counts[SEVERITIES[r.severity] ?? 'critical']--;
          this.#stmts.deleteSnap.run(id);
          this.#warnedHeld.delete(id);
        }
      }
    });
    try {
      tx();
    } catch (err) {
      throw new StoreError('OUTBOX_WRITE', `outbox delete failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      this.#db.pragma('synchronous = FULL');
    }
    if (this.#wasFull && this.#dbDepth < this.#opts.maxRows) this.#wasFull = false;
    this.#emitDepth();
    // Deletes free pages: held alarms may fit now.
    if (this.#held.length) this.#retryHeld();
  }

  /** Makes every postponed row due now (the link came back: earlier failures were the link's). */
  retryAllNow(): void {
    this.#stmts.retryAll.run();
  }

  /** Postpones a row after a failed attempt. */
  retryAt(id: string, at: number): void {
    this.#stmts.fail.run(at, id);
  }

  /** Wakes the caller when new alarms are committed. */
  onCommit(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): AsyncIterableIterator<OutboxStatus> { return this.#status.iterate(); }

  /** Also re-checks the disk: the heartbeat calls this. */
  stats(): OutboxStats {
    this.checkDisk();
    const oldest = (this.#stmts.oldest.get() as { t: number | null }).t;
    return {
      depth: this.depth,
      bySeverity: { info: this.#counts.info + this.#heldCounts.info, warning: this.#counts.warning + this.#heldCounts.warning, critical: this.#counts.critical + this.#heldCounts.critical },
      oldestAgeMs: oldest === null ? 0 : Math.max(0, this.#opts.now() - oldest),
      dbBytes: this.#dbBytes(),
      dropped: this.#dropped,
      refused: this.#refused,
      diskWarning: this.#diskWarning,
      disk: {
        state: this.#diskState,
        freeBytes: this.#freeBytes,
        reserveBytes: this.#reserveHeld,
        held: this.#held.length,
        heldBySeverity: { ...this.#heldCounts },
        snapshotsDropped: this.#snapshotsDropped,
        refused: this.#diskRefused,
      },
    };
  }

  /** Bytes in use: free pages left by a drained backlog are reused, so they do not count against the cap. */
  #dbBytes(): number {
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    const size = this.#db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  /**
   * Depth events at most every 250 ms (a busy edge commits thousands a second);
   * a trailing event always reports the settled value.
   */
  #emitDepth(): void {
    if (this.#closed) return;
    const wait = this.#lastDepthAt + 250 - Date.now();
    if (wait > 0) {
      this.#depthTimer ??= setTimeout(() => { this.#depthTimer = null; this.#emitDepth(); }, wait);
      return;
    }
    this.#lastDepthAt = Date.now();
    const oldest = (this.#stmts.oldest.get() as { t: number | null }).t;
    this.#status.push({ type: 'depth', depth: this.depth, oldestAgeMs: oldest === null ? 0 : Math.max(0, this.#opts.now() - oldest) });
  }

  /**
   * Reads free space and the DB size (a statfs and three pragmas: cheap enough
   * for every commit batch) and moves the disk state: low under pressure, back
   * to ok (with the reserve re-made) once there is room again. A change of
   * state or warning becomes a `disk` status event (the edge.disk health).
   */
  checkDisk(): string | null {
    const dbBytes = this.#dbBytes();
    let freeBytes = Number.POSITIVE_INFINITY;
    if (this.file !== ':memory:') {
      try {
        const s = statfsSync(path.dirname(path.resolve(this.file)));
        freeBytes = Number(s.bavail) * Number(s.bsize);
      } catch (err) {
        this.#status.push({ type: 'disk', warning: true, state: this.#diskState, freeBytes: -1, dbBytes, held: this.#held.length, message: `cannot read free space: ${errorMessage(err)}` });
      }
    }
    this.#freeBytes = Number.isFinite(freeBytes) ? freeBytes : null;
    const pressure = freeBytes < this.#opts.minFreeBytes || dbBytes > this.#opts.maxDbBytes;
    if (!this.#held.length) {
      if (pressure) {
        if (this.#diskState === 'ok') this.#diskState = 'low';
      } else if (this.#restoreReserve(freeBytes)) {
        // Room again, and the reserve is whole (re-made first if it was given up).
        this.#diskState = 'ok';
      }
    }
    const problems: string[] = [];
    if (this.#diskState === 'full') problems.push(`disk full: ${this.#held.length} alarms wait in memory for space`);
    else if (this.#diskState === 'reserve') problems.push('disk full: the outbox is using its reserve');
    if (freeBytes < this.#opts.minFreeBytes) problems.push(`free space ${freeBytes} B below ${this.#opts.minFreeBytes} B`);
    if (dbBytes > this.#opts.maxDbBytes) problems.push(`outbox database ${dbBytes} B over ${this.#opts.maxDbBytes} B`);
    if (problems.length && this.#snapshotsDropped) problems.push(`${this.#snapshotsDropped} snapshots not kept`);
    const warning = problems.length ? problems.join('; ') : null;
    // Changing figures within the same condition are not news: only a new condition is an event.
    const shape = (w: string | null) => w?.replace(/\d+/g, '#') ?? null;
    if (shape(warning) !== shape(this.#diskWarning)) {
      this.#diskWarning = warning;
      this.#status.push({ type: 'disk', warning: warning !== null, state: this.#diskState, freeBytes: Number.isFinite(freeBytes) ? freeBytes : -1, dbBytes, held: this.#held.length, message: warning ?? 'disk pressure cleared' });
    } else {
      this.#diskWarning = warning;
    }
    return warning;
  }

  /** Gives the reserve's bytes back to the volume, for the outbox to commit into. */
  #releaseReserve(): void {
    if (!this.#reserveFile || this.#reserveHeld === 0) return;
    try {
      rmSync(this.#reserveFile, { force: true });
    } catch (err) {
      this.#status.push({ type: 'disk', warning: true, state: this.#diskState, freeBytes: this.#freeBytes ?? -1, dbBytes: this.#dbBytes(), held: this.#held.length, message: `cannot release the outbox reserve: ${errorMessage(err)}` });
      return;
    }
    this.#reserveHeld = 0;
  }

  /**
   * Re-makes the reserve when the volume has room for it and the low-water
   * mark besides; true when the reserve is whole (or disabled). Tried at most
   * every 5 s: writing it costs real I/O.
   */
  #restoreReserve(freeBytes: number): boolean {
    const want = this.#opts.reserveBytes;
    if (!this.#reserveFile || this.#reserveHeld >= want) return true;
    const now = Date.now();
    if (now - this.#lastReserveTry < 5_000 || freeBytes < this.#opts.minFreeBytes + (want - this.#reserveHeld)) return false;
    this.#lastReserveTry = now;
    this.#reserveHeld = writeReserve(this.#reserveFile, want);
    return this.#reserveHeld >= want;
  }

  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#retryHeld();
    this.#closed = true;
    if (this.#heldTimer) clearInterval(this.#heldTimer);
    if (this.#held.length) {
      // Nothing more can be done for these: the process is going and the disk is full.
      for (const h of this.#held) this.#status.push({ type: 'dropped', id: h.entry.id, severity: h.entry.severity, reason: 'disk-full' });
    }
    if (this.#depthTimer) clearTimeout(this.#depthTimer);
    this.#status.close();
    this.#db.close();
  }

  /** Alarms that were held in memory when the outbox closed (lost: the disk never took them). */
  get lostAtClose(): readonly string[] {
    return this.#closed ? this.#held.map((h) => h.entry.id) : [];
  }
}

export function openOutbox(options: OutboxOptions): Outbox {
  return new Outbox(options);
}

function fileSize(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}

/** Writes zeros (which take real blocks, unlike a sparse file) up to `bytes`; returns what it got. */
function writeReserve(file: string, bytes: number): number {
  const chunk = Buffer.alloc(RESERVE_CHUNK);
  let written = 0;
  let fd: number | null = null;
  try {
    fd = openSync(file, 'w');
    while (written < bytes) written += writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw new StoreError('OUTBOX_RESERVE', `cannot write the outbox reserve ${file}: ${errorMessage(err)}`, { cause: err });
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return written;
}
