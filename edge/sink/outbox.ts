import Database from 'better-sqlite3';
import { mkdirSync, statfsSync } from 'node:fs';
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
 */

export interface OutboxOptions {
  /** SQLite file; ':memory:' only for unit tests (it is not durable) */
  file: string;
  /** bound on queued alarms; @default 100_000 */
  maxRows?: number;
  /** the DB file size above which disk pressure is reported; @default 1 GiB */
  maxDbBytes?: number;
  /** free space on the volume below which disk pressure is reported; @default 256 MiB */
  minFreeBytes?: number;
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

export type OutboxStatus =
  | { type: 'depth'; depth: number; oldestAgeMs: number }
  | { type: 'dropped'; id: string; severity: Severity; reason: 'evicted' | 'refused' }
  | { type: 'full'; depth: number; critical: number; message: string }
  | { type: 'disk'; warning: boolean; freeBytes: number; dbBytes: number; message: string }
  | { type: 'held-too-long'; id: string; ageMs: number; holdMs: number };

export interface OutboxStats {
  depth: number;
  bySeverity: Record<Severity, number>;
  oldestAgeMs: number;
  dbBytes: number;
  dropped: number;
  refused: number;
  diskWarning: string | null;
}

/** A new alarm refused because the outbox is full of alarms that outrank it (the policy never drops a critical). */
export class OutboxFullError extends VigilError {
  constructor(readonly severity: Severity, readonly depth: number) {
    super('OUTBOX_FULL', `outbox full (${depth} alarms, none of lower or equal severity to drop): ${severity} alarm refused`);
  }
}

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
  #wasFull = false;
  #pending: { entry: OutboxEntry; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushScheduled = false;
  #listeners = new Set<() => void>();
  #warnedHeld = new Set<string>();
  #lastDiskCheck = 0;
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
      maxHoldMs: options.maxHoldMs ?? ALARM_HOLD_MS,
      now: options.now ?? Date.now,
    };
    if (!Number.isInteger(opts.maxRows) || opts.maxRows < 1) throw new ValidationError('outbox.maxRows', `must be a positive integer (got ${opts.maxRows})`);
    if (!(opts.maxDbBytes > 0)) throw new ValidationError('outbox.maxDbBytes', 'must be positive');
    if (!(opts.minFreeBytes >= 0)) throw new ValidationError('outbox.minFreeBytes', 'must be >= 0');
    if (!(opts.maxHoldMs > 0)) throw new ValidationError('outbox.maxHoldMs', 'must be positive');
    this.#opts = Object.freeze(opts);
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

  get depth(): number { return this.#counts.info + this.#counts.warning + this.#counts.critical; }

  /**
   * Commits an alarm (and its snapshot). Calls in the same tick share one
   * transaction and one fsync (group commit); the promise resolves once the
   * alarm is on disk, or rejects with OutboxFullError under the policy.
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
    this.#maybeCheckDisk();
    return results;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (!batch.length) return;
    let results: (Error | null)[];
    try {
      results = this.putMany(batch.map((b) => b.entry));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => (results[i] ? b.reject(results[i]) : b.resolve()));
  }

  #insert(e: OutboxEntry, events: OutboxStatus[]): Error | null {
    const rank = SEVERITY_RANK[e.severity];
    if (this.depth >= this.#opts.maxRows && !this.#stmts.exists.get(e.id)) {
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
          events.push({ type: 'full', depth: this.depth, critical: this.#counts.critical, message: `outbox holds ${this.depth} alarms that outrank a ${e.severity}; refusing new info and warning alarms` });
        }
        return new OutboxFullError(e.severity, this.depth);
      } else if (!this.#wasFull) {
        // A critical is never refused: the bound yields and this is reported.
        this.#wasFull = true;
        events.push({ type: 'full', depth: this.depth, critical: this.#counts.critical, message: `outbox is full of critical alarms (${this.depth}); accepting criticals beyond the bound` });
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
    if (this.#wasFull && this.depth < this.#opts.maxRows) this.#wasFull = false;
    this.#emitDepth();
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

  /** Also re-checks disk pressure (at most once a second): the heartbeat calls this. */
  stats(): OutboxStats {
    this.#maybeCheckDisk();
    const oldest = (this.#stmts.oldest.get() as { t: number | null }).t;
    return {
      depth: this.depth,
      bySeverity: { ...this.#counts },
      oldestAgeMs: oldest === null ? 0 : Math.max(0, this.#opts.now() - oldest),
      dbBytes: this.#dbBytes(),
      dropped: this.#dropped,
      refused: this.#refused,
      diskWarning: this.#diskWarning,
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

  #maybeCheckDisk(): void {
    const now = Date.now();
    if (now - this.#lastDiskCheck < 1_000) return;
    this.#lastDiskCheck = now;
    this.checkDisk();
  }

  /** Checks free space and DB size; a change of state becomes a `disk` status event (a health warning). */
  checkDisk(): string | null {
    const dbBytes = this.#dbBytes();
    let freeBytes = Number.POSITIVE_INFINITY;
    if (this.file !== ':memory:') {
      try {
        const s = statfsSync(path.dirname(path.resolve(this.file)));
        freeBytes = Number(s.bavail) * Number(s.bsize);
      } catch (err) {
        this.#status.push({ type: 'disk', warning: true, freeBytes: -1, dbBytes, message: `cannot read free space: ${errorMessage(err)}` });
      }
    }
    const problems: string[] = [];
    if (freeBytes < this.#opts.minFreeBytes) problems.push(`free space ${freeBytes} B below ${this.#opts.minFreeBytes} B`);
    if (dbBytes > this.#opts.maxDbBytes) problems.push(`outbox database ${dbBytes} B over ${this.#opts.maxDbBytes} B`);
    const warning = problems.length ? problems.join('; ') : null;
    if (warning !== this.#diskWarning) {
      this.#diskWarning = warning;
      this.#status.push({ type: 'disk', warning: warning !== null, freeBytes: Number.isFinite(freeBytes) ? freeBytes : -1, dbBytes, message: warning ?? 'disk pressure cleared' });
    }
    return warning;
  }

  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    if (this.#depthTimer) clearTimeout(this.#depthTimer);
    this.#status.close();
    this.#db.close();
  }
}

export function openOutbox(options: OutboxOptions): Outbox {
  return new Outbox(options);
}
