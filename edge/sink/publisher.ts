import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TransportError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { ALARM_STREAM } from '../../common/subjects.ts';
import { SNAPSHOT_BUCKET, duplicateWindowMs } from '../../common/transport/alarm-stream.ts';
import { classifyNatsError } from '../../common/transport/nats-connect.ts';
import { createStatusChannel } from '../../common/transport/status-channel.ts';
import type { Outbox, OutboxRow, OutboxStatus } from './outbox.ts';
import { putSnapshotObject } from './snapshot-upload.ts';

/**
 * Drains the outbox into JetStream: many publishes in flight (msgID = alarm
 * id), deletes batched into one transaction per burst of PubAcks, failed rows
 * postponed with exponential, jittered, capped backoff. A snapshot is uploaded
 * to the Object Store before its alarm is published.
 */
export interface OutboxPublisherOptions {
  /** may still be connecting: alarms wait in the outbox meanwhile */
  nc: NatsConnection | Promise<NatsConnection>;
  outbox: Outbox;
  /** @default SNAPSHOT_BUCKET */
  bucket?: string;
  /** publishes awaiting their PubAck at once; @default 256 */
  maxInFlight?: number;
  /** how long to wait for one PubAck; @default 5_000 ms */
  ackTimeoutMs?: number;
  /** first retry delay for a failed alarm; @default 500 ms */
  retryInitialMs?: number;
  /** cap on the retry delay; @default 30_000 ms */
  retryMaxMs?: number;
  /**
   * Upload failures (with the link up) after which an alarm goes out without
   * its snapshot rather than waiting forever on a broken bucket; @default 5
   */
  maxSnapshotAttempts?: number;
  logger?: Logger;
  random?: () => number;
}

export type PublisherStatus =
  | { type: 'link'; up: boolean; server?: string }
  | { type: 'error'; error: TransportError; id?: string }
  | { type: 'snapshot-failed'; id: string; error: TransportError }
  | { type: 'hold'; holdMs: number };

export type SinkStatus = OutboxStatus | PublisherStatus;

export interface PublisherStats {
  acked: number;
  duplicates: number;
  failures: number;
  inFlight: number;
  linkUp: boolean;
}

export interface OutboxPublisher {
  start(): void;
  /** waits for in-flight publishes to settle, commits their deletes */
  stop(): Promise<void>;
  /** resolves once the outbox is empty and nothing is in flight */
  drained(): Promise<void>;
  stats(): PublisherStats;
  status(): AsyncIterableIterator<SinkStatus>;
}

export function createOutboxPublisher(options: OutboxPublisherOptions): OutboxPublisher {
  const opts = Object.freeze({
    bucket: options.bucket ?? SNAPSHOT_BUCKET,
    maxInFlight: options.maxInFlight ?? 256,
    ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
    retryInitialMs: options.retryInitialMs ?? 500,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    maxSnapshotAttempts: options.maxSnapshotAttempts ?? 5,
  });
  if (!(opts.maxInFlight >= 1)) throw new RangeError('maxInFlight must be >= 1');
  const outbox = options.outbox;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const channel = createStatusChannel<SinkStatus>();
  const inFlight = new Set<string>();
  // Acknowledged but not yet deleted: must not be picked up again meanwhile.
  const acking = new Set<string>();
  const snapshotFailures = new Map<string, number>();
  let pendingAcks: string[] = [];
  let ackScheduled = false;
  let acked = 0;
  let duplicates = 0;
  let failures = 0;
  let linkUp = false;
  let stopped = false;
  let ended = false;
  let started = false;
  let running: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let lastErrorLog = 0;
  let nc: NatsConnection | null = null;
  let holdAdopted = false;
  let rescan = false;
  let stop: () => void = () => {};
  const stopping = new Promise<null>((resolve) => { stop = () => resolve(null); });

  const poke = () => { const w = wake; wake = null; w?.(); };
  const waitForPoke = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => { wake = null; resolve(); }, ms);
    wake = () => { clearTimeout(t); resolve(); };
  });

  // Forward the outbox's own events so that one iterator tells the whole story.
  void (async () => { for await (const ev of outbox.status()) channel.push(ev); })().catch((err) => logger.error('outbox status forwarding stopped', { error: err }));
  const unsubscribe = outbox.onCommit(poke);

  function flushAcks(): void {
    ackScheduled = false;
    const ids = pendingAcks;
    pendingAcks = [];
    try {
      outbox.ack(ids);
    } catch (err) {
      // The alarms are in the stream; if their delete failed they are re-sent later and rejected as duplicates.
      logger.error('outbox delete failed', { error: err, count: ids.length });
    }
    for (const id of ids) acking.delete(id);
    poke();
  }

  function retryDelay(attempts: number): number {
    const base = Math.min(opts.retryMaxMs, opts.retryInitialMs * 2 ** Math.min(attempts, 20));
    return Math.round(base / 2 + (base / 2) * random());
  }

  function report(error: TransportError, id?: string): void {
    channel.push({ type: 'error', error, ...(id ? { id } : {}) });
    const now = Date.now();
    if (now - lastErrorLog > 2_000) {
      lastErrorLog = now;
      logger.warn('alarm publish failed; it stays in the outbox and is retried', { code: error.code, error, depth: outbox.depth });
    }
  }

  async function adoptHold(conn: NatsConnection): Promise<void> {
    if (holdAdopted) return;
    try {
      const jsm = await jetstreamManager(conn, { timeout: opts.ackTimeoutMs });
      const holdMs = duplicateWindowMs(await jsm.streams.info(ALARM_STREAM));
      outbox.setMaxHoldMs(holdMs);
      holdAdopted = true;
      channel.push({ type: 'hold', holdMs });
    } catch (err) {
      logger.warn('cannot read the alarm stream duplicate window; keeping the configured hold time', { holdMs: outbox.maxHoldMs, error: err });
    }
  }

  async function send(row: OutboxRow, js: JetStreamClient, conn: NatsConnection): Promise<void> {
    let stage: 'snapshot' | 'publish' = 'snapshot';
    try {
      if (row.snapshotName) {
        const jpeg = outbox.snapshotJpeg(row.id);
        if (jpeg) await putSnapshotObject(js, conn, opts.bucket, row.snapshotName, jpeg, { timeoutMs: opts.ackTimeoutMs });
        outbox.snapshotUploaded(row.id);
        snapshotFailures.delete(row.id);
      }
      stage = 'publish';
      const ack = await js.publish(row.subject, row.payload, { msgID: row.id, timeout: opts.ackTimeoutMs });
      if (ack.duplicate) duplicates++;
      acked++;
      acking.add(row.id);
      pendingAcks.push(row.id);
      // One delete transaction per burst of PubAcks, not one per alarm.
      if (pendingAcks.length >= 1_024) flushAcks();
      else if (!ackScheduled) { ackScheduled = true; setTimeout(flushAcks, 10); }
    } catch (err) {
      failures++;
      const error = classifyNatsError(err, { servers: nc ? [nc.getServer()] : [] });
      if (stage === 'snapshot' && linkUp && error.code !== 'NATS_UNREACHABLE') {
        const n = (snapshotFailures.get(row.id) ?? 0) + 1;
        snapshotFailures.set(row.id, n);
        if (n >= opts.maxSnapshotAttempts) {
          // An alarm matters more than its picture: send it without waiting on a broken bucket.
          outbox.snapshotUploaded(row.id);
          snapshotFailures.delete(row.id);
          channel.push({ type: 'snapshot-failed', id: row.id, error });
          logger.error('snapshot upload keeps failing; sending the alarm without it', { id: row.id, error });
        }
      }
      try {
        outbox.retryAt(row.id, Date.now() + retryDelay(row.attempts));
      } catch (dbErr) {
        logger.error('cannot postpone alarm in the outbox', { id: row.id, error: dbErr });
      }
      report(error, row.id);
    }
  }

  async function watchLink(conn: NatsConnection): Promise<void> {
    for await (const s of conn.status()) {
      if (s.type === 'disconnect') {
        linkUp = false;
        channel.push({ type: 'link', up: false, server: s.server });
      } else if (s.type === 'reconnect') {
        linkUp = true;
        // Failures during the outage were the link's, not the alarms': retry them now.
        outbox.retryAllNow();
        rescan = true;
        channel.push({ type: 'link', up: true, server: s.server });
        void adoptHold(conn);
        poke();
      } else if (s.type === 'error') {
        report(classifyNatsError(s.error, { servers: [conn.getServer()] }));
      }
    }
    linkUp = false;
    channel.push({ type: 'link', up: false });
    poke();
  }

  async function run(): Promise<void> {
    let conn: NatsConnection | null;
    try {
      // Closing an edge that never got a connection must not wait for one.
      conn = await Promise.race([options.nc, stopping]);
    } catch (err) {
      const error = classifyNatsError(err, { servers: [] });
      report(error);
      logger.error('no NATS connection; alarms stay in the outbox', { error });
      return;
    }
    if (stopped || !conn) return;
    nc = conn;
    const js = jetstream(conn, { timeout: opts.ackTimeoutMs });
    linkUp = !conn.isClosed();
    channel.push({ type: 'link', up: linkUp, server: conn.getServer() });
    void watchLink(conn).catch((err) => logger.error('link watch failed', { error: err }));
    void adoptHold(conn);
    // New alarms always have a higher seq, so the scan goes forward from a
    // cursor; only postponed alarms that fall due (or the link's return) need a
    // rescan from the start, and that happens at most every 50 ms.
    let cursor = 0;
    let lastScan = Date.now();
    while (!stopped) {
      if (conn.isClosed()) break;
      if (!linkUp) { await waitForPoke(1_000); continue; }
      const room = opts.maxInFlight - inFlight.size;
      if (room <= 0) { await waitForPoke(1_000); continue; }
      if (rescan) { rescan = false; cursor = 0; lastScan = Date.now(); }
      let rows: OutboxRow[];
      try {
        rows = outbox.due(cursor, Math.min(5_000, room + inFlight.size + acking.size));
      } catch (err) {
        logger.error('outbox read failed', { error: err });
        await waitForPoke(1_000);
        continue;
      }
      let dispatched = 0;
      for (const row of rows) {
        cursor = row.seq;
        if (inFlight.has(row.id) || acking.has(row.id)) continue;
        inFlight.add(row.id);
        void send(row, js, conn).finally(() => { inFlight.delete(row.id); poke(); });
        if (++dispatched >= room) break;
      }
      if (rows.length) continue;
      const retryIn = outbox.msUntilRetry();
      const sinceScan = Date.now() - lastScan;
      if ((retryIn === 0 && sinceScan >= 50) || (sinceScan >= 1_000 && cursor !== 0)) { rescan = true; continue; }
      let waitMs = 1_000 - sinceScan;
      if (retryIn !== null) waitMs = Math.min(waitMs, Math.max(retryIn, 50 - sinceScan));
      await waitForPoke(Math.max(5, waitMs));
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      running = run()
        .catch((err) => { logger.error('outbox publisher stopped on an error', { error: err }); })
        .finally(() => { ended = true; poke(); });
    },
    async stop() {
      stopped = true;
      stop();
      poke();
      await running;
      while (inFlight.size) await new Promise((r) => setTimeout(r, 20));
      flushAcks();
      unsubscribe();
      channel.close();
    },
    async drained() {
      for (;;) {
        if (outbox.depth === 0 && inFlight.size === 0 && pendingAcks.length === 0) return;
        if (stopped || (ended && inFlight.size === 0)) throw new TransportError('PUBLISHER_STOPPED', `publisher stopped with ${outbox.depth} alarms in the outbox (they are kept and sent by the next start)`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stats: () => ({ acked, duplicates, failures, inFlight: inFlight.size, linkUp }),
    status: () => channel.iterate(),
  };
}
