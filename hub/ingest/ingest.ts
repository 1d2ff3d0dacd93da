import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { decodeAlarm } from '../../common/alarm.ts';
import type { Clock } from '../../common/clock.ts';
import { errorMessage, ValidationError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { ALARM_STREAM, alarmSubject } from '../../common/subjects.ts';
import { ensureAlarmStream, type AlarmStreamOptions } from '../../common/transport/alarm-stream.ts';
import { sleep } from '../../common/transport/backoff.ts';
import { retryJetStreamSetup } from '../../common/transport/jetstream-setup.ts';
import type { HubEvents } from '../events.ts';
import { storeAndCorrelate, type BatchResult, type IncomingAlarm } from '../incidents/correlator.ts';
import type { AlarmPolicies } from '../alarms/alarm-policy.ts';
import { isTransientStoreError } from '../store/database.ts';
import { probeStoreWrite } from '../store/store-probe.ts';
import type { Database } from '../store/schema.ts';
import { DEFAULT_DURABLE, ensureHubConsumer, updateAckWait } from './consumer.ts';
import { publishDeadLetters, storeDeadLetters, type DeadLetter } from './dead-letter.ts';
import { watchMaxDeliveries, type MaxDeliveriesWatcher } from './max-deliveries.ts';
import { DEFAULT_ACK_WAIT, HandlingTimes, recommendedAckWaitMs, type AckWaitPolicy } from './handling-time.ts';

export interface IngestMetrics {
  batch(size: number, ms: number): void;
  stored(n: number): void;
  duplicates(n: number): void;
  deadLettered(n: number): void;
  transientFailure(): void;
  ackWait(ms: number): void;
}

export interface IngestOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  events: HubEvents;
  clock: Clock;
  logger: Logger;
  correlationWindowMs: number;
  /** each site's alarm policy (feed, incident, dispatch; flood guard); the defaults when absent */
  policies?: AlarmPolicies;
  durable?: string;
  /** most messages in one database transaction; @default 500 */
  maxBatch?: number;
  /** messages pulled ahead of handling; @default 2 × maxBatch */
  prefetch?: number;
  /** batches in flight at once; @default 1 on SQLite (one writer), 2 on PostgreSQL */
  concurrency?: number;
  ackWait?: Partial<AckWaitPolicy>;
  maxDeliver?: number;
  /** how often the measured p99 is turned into the consumer's ack_wait; @default 30_000 */
  tuneEveryMs?: number;
  /** create or update the alarm stream (needs stream-admin rights); @default true */
  ensureStream?: boolean | AlarmStreamOptions;
  /** copies of the alarm stream and the consumer (hub.yaml cluster.replicas); @default 1 */
  replicas?: number;
  metrics?: IngestMetrics;
}

export interface IngestStats {
  running: boolean;
  processed: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  transientFailures: number;
  ackWaitMs: number;
  handlingP99Ms: number | null;
  storeDown: boolean;
  /** the most deliveries any stored alarm needed: an outage must not spend them */
  maxDeliveryCount: number;
  /** alarms JetStream gave up on (MAX_DELIVERIES advisories), dead-lettered with the reason */
  maxDeliveriesReached: number;
}

export interface Ingest {
  start(): Promise<void>;
  /** Stops pulling, finishes the batch in hand, and hands back what was pulled but not handled. */
  stop(): Promise<void>;
  stats(): IngestStats;
  /** Recomputes ack_wait from the measured handling times now (also runs on a timer). */
  tuneAckWait(): Promise<number>;
}

interface Pulled { msg: JsMsg; at: number }

const PROBE_MS = 1000;
/** The write probe starts at this size, and grows when the store fails again soon after a probe passed. */
const PROBE_BYTES = 256 * 1024;
const MAX_PROBE_BYTES = 16 * 1024 * 1024;
/** handling errors remembered per stream sequence, for the reason of a max-deliveries dead letter */
/** how long one pull request waits on the server; the consumer leader's loss is noticed after about this long */
const PULL_EXPIRES_MS = 2000;
const MAX_LAST_ERRORS = 10_000;

/**
 * JetStream → store. A durable pull consumer with explicit ack; each batch of
 * messages is written in one transaction and acknowledged after the commit,
 * so an ack always means "stored". Writes are idempotent on the alarm id, so a
 * redelivery (lost ack, crash, a second replica) never doubles anything.
 *
 * Bad messages go to the dead-letter table and subject and are term()'d. A
 * database outage naks the batch with a delay and stops pulling until the
 * store answers again, so the outage does not burn through max_deliver.
 */
export function createIngest(options: IngestOptions): Ingest {
  const o = Object.freeze({ ...options });
  const log = o.logger.child({ component: 'ingest' });
  const durable = o.durable ?? DEFAULT_DURABLE;
  const maxBatch = o.maxBatch ?? 500;
  const concurrency = Math.max(1, o.concurrency ?? (o.dialect === 'postgres' ? 2 : 1));
  const prefetch = o.prefetch ?? maxBatch * (concurrency + 1);
  const policy: AckWaitPolicy = { ...DEFAULT_ACK_WAIT, ...o.ackWait };
  const maxDeliver = o.maxDeliver ?? 50;
  const times = new HandlingTimes();
  const queue: Pulled[] = [];
  const stats: IngestStats = { running: false, processed: 0, stored: 0, duplicates: 0, deadLettered: 0, transientFailures: 0, ackWaitMs: policy.floorMs, handlingP99Ms: null, storeDown: false, maxDeliveryCount: 0, maxDeliveriesReached: 0 };
  const probeId = `ingest-${Math.random().toString(36).slice(2, 10)}`;
  let probeBytes = PROBE_BYTES;
  let resumedAt = -Infinity;
  const lastErrors = new Map<number, string>();
  const noteError = (seq: number, reason: string) => {
    lastErrors.delete(seq);
    lastErrors.set(seq, reason);
    if (lastErrors.size > MAX_LAST_ERRORS) lastErrors.delete(lastErrors.keys().next().value!);
  };
  let maxDeliveries: MaxDeliveriesWatcher | null = null;

  let jsm: JetStreamManager | null = null;
  let messages: ConsumerMessages | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  let worker: Promise<void> | null = null;
  let pump: Promise<void> | null = null;
  let tuneTimer: { cancel(): void } | null = null;
  let abort = new AbortController();

  const signal = () => { const w = wake; wake = null; w?.(); };

  async function startPump(): Promise<void> {
    // The pull re-checks its consumer (an info call) after missed heartbeats; while a new consumer leader is
    // being elected that call gets no answer, so a short API timeout retries it sooner than the default 5 s.
    const js = jetstream(o.nc, { timeout: PULL_EXPIRES_MS });
    const consumer = await js.consumers.get(ALARM_STREAM, durable);
    // A pull lives on the consumer's leader. When that node dies the pull dies with it, and the client
    // only notices after two missed idle heartbeats (expires / 2 each): short pulls make that ~2 s, not 5.
    const m = await consumer.consume({ max_messages: prefetch, expires: PULL_EXPIRES_MS });
    // stop() may have run while this was starting (store back, or a re-pull, at shutdown): its stopPump saw no pull to end.
    if (stopping) { m.stop(); return; }
    messages = m;
    pump = (async () => {
      for await (const msg of m) {
        queue.push({ msg, at: performance.now() });
        signal();
      }
    })().catch((err) => { if (!stopping) log.error('alarm pull loop failed', { err: errorMessage(err) }); })
      .then(() => {
        // Ended without being told to (consumer deleted, a fatal pull error): pull again, or ingest would stall unseen.
        if (!stopping && messages === m && !stats.storeDown) void repull();
      });
  }

  async function repull(): Promise<void> {
    messages = null;
    for (let delay = 1000; !stopping; delay = Math.min(delay * 2, 30_000)) {
      log.warn('alarm pull stopped; starting it again', { inMs: delay });
      await sleep(delay, abort.signal);
      if (stopping) return;
      try {
        if (jsm) await ensureHubConsumer(jsm, { durable, ackWaitMs: stats.ackWaitMs, maxDeliver, maxAckPending: prefetch * 2, replicas: o.replicas ?? 1 });
        await startPump();
        return;
      } catch (err) {
        log.error('cannot restart the alarm pull', { err: errorMessage(err) });
      }
    }
  }

  async function stopPump(): Promise<void> {
    const m = messages;
    messages = null;
    if (m) {
      m.stop();
      await m.closed().catch((err) => log.debug('pull closed with error', { err: errorMessage(err) }));
    }
    await pump;
    pump = null;
  }

  function decode(batch: Pulled[]) {
    const good: (IncomingAlarm & { p: Pulled })[] = [];
    const bad: { p: Pulled; dl: DeadLetter }[] = [];
    const now = o.clock.now();
    for (const p of batch) {
      try {
        const alarm = decodeAlarm(p.msg.data);
        // The subject is what NATS permissions check; a payload claiming another site or camera is refused.
        const expected = alarmSubject(alarm.site, alarm.camera, alarm.kind);
        if (p.msg.subject !== expected) throw new ValidationError('subject', `${p.msg.subject} does not match the alarm (expected ${expected})`);
        good.push({ alarm, streamSeq: p.msg.seq, receivedAtMs: now, p });
      } catch (err) {
        bad.push({ p, dl: deadLetter(p.msg, err instanceof ValidationError ? err.message : `cannot decode: ${errorMessage(err)}`, now) });
      }
    }
    return { good, bad };
  }

  async function commit(good: IncomingAlarm[], dead: DeadLetter[]): Promise<BatchResult> {
    return o.db.transaction().execute(async (trx) => {
      await storeDeadLetters(trx, dead);
      return storeAndCorrelate(trx, good, { windowMs: o.correlationWindowMs, dialect: o.dialect, ...(o.policies ? { policies: o.policies } : {}) });
    });
  }

  function finish(pulled: Pulled[], dead: { p: Pulled; dl: DeadLetter }[], result: BatchResult | null) {
    if (dead.length) {
      try { publishDeadLetters(o.nc, dead.map((d) => d.dl)); } catch (err) { log.warn('cannot publish dead letters', { err: errorMessage(err) }); }
      for (const d of dead) {
        log.warn('alarm dead-lettered', { subject: d.dl.subject, seq: d.dl.streamSeq, reason: d.dl.reason });
        // No reason on the wire: nats-server before 2.10 ignores `+TERM <reason>` entirely. The reason is in the dead letter.
        d.p.msg.term();
      }
    }
    const deadSet = new Set(dead.map((d) => d.p));
    const end = performance.now();
    for (const p of pulled) {
      if (!deadSet.has(p)) {
        p.msg.ack();
        stats.maxDeliveryCount = Math.max(stats.maxDeliveryCount, p.msg.info.deliveryCount);
      }
      lastErrors.delete(p.msg.seq);
      times.record(end - p.at);
    }
    stats.processed += pulled.length;
    stats.deadLettered += dead.length;
    o.metrics?.deadLettered(dead.length);
    if (result) {
      stats.stored += result.stored.length;
      stats.duplicates += result.duplicates.length;
      o.metrics?.stored(result.stored.length);
      o.metrics?.duplicates(result.duplicates.length);
      for (const e of result.events) o.events.emit(e.type, e.data as never, { site: e.site });
    }
  }

  async function handle(batch: Pulled[]): Promise<void> {
    const t0 = performance.now();
    const { good, bad } = decode(batch);
    try {
      const result = await commit(good, bad.map((b) => b.dl));
      finish(batch, bad, result);
    } catch (err) {
      if (isTransientStoreError(err)) throw err;
      // Something in the batch the store refuses: handle one by one to find it, dead-letter only that one.
      log.warn('batch refused by the store; isolating', { size: batch.length, err: errorMessage(err) });
      for (const g of good) {
        try {
          finish([g.p], [], await commit([g], []));
        } catch (one) {
          if (isTransientStoreError(one)) throw one;
          const dl = deadLetter(g.p.msg, `store refused: ${errorMessage(one)}`, o.clock.now());
          await storeDeadLetters(o.db, [dl]);
          finish([g.p], [{ p: g.p, dl }], null);
        }
      }
      if (bad.length) {
        await storeDeadLetters(o.db, bad.map((b) => b.dl));
        finish(bad.map((b) => b.p), bad, null);
      }
    }
    o.metrics?.batch(batch.length, performance.now() - t0);
  }

  /** A write of a batch's size, committed: a read (or a tiny write) passes on a full disk. */
  async function storeAlive(): Promise<boolean> {
    try {
      await probeStoreWrite(o.db, probeId, probeBytes, o.clock.now());
      return true;
    } catch (err) {
      log.debug('store probe failed', { bytes: probeBytes, err: errorMessage(err) });
      return false;
    }
  }

  /**
   * Nothing is pulled while the store is down, so nothing is delivered: the
   * outage spends no deliveries however long it lasts. Only the messages in
   * hand when it began were delivered once more than they needed.
   */
  async function onStoreDown(batch: Pulled[], err: unknown): Promise<void> {
    stats.transientFailures++;
    stats.storeDown = true;
    o.metrics?.transientFailure();
    // Down again soon after a probe passed: the probe was too small to prove the store can take a batch.
    probeBytes = performance.now() - resumedAt < 60_000 ? Math.min(MAX_PROBE_BYTES, probeBytes * 4) : PROBE_BYTES;
    log.error('store unavailable; pausing ingest', { err: errorMessage(err), probeBytes });
    await stopPump();
    const held = [...batch, ...queue.splice(0)];
    for (const p of held) p.msg.nak(Math.min(60_000, 1000 * 2 ** Math.min(6, p.msg.info.deliveryCount - 1)));
    let delay = PROBE_MS;
    while (!stopping && !(await storeAlive())) {
      await sleep(delay, abort.signal);
      delay = Math.min(delay * 2, 15_000);
    }
    stats.storeDown = false;
    if (!stopping) {
      log.info('store is back; resuming ingest');
      resumedAt = performance.now();
      await maxDeliveries?.flush();
      await startPump();
    }
  }

  /**
   * Takes batches off the queue, up to `concurrency` at once (PostgreSQL: the
   * next batch is decoded and sent while the last one commits; correlation
   * stays race-free through the row locks). A transient store failure pauses
   * everything once the batches in hand have settled.
   */
  async function work(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const failed: { batch: Pulled[]; err: unknown }[] = [];
    while (!stopping) {
      if (failed.length) {
        await Promise.all(inflight);
        const all = failed.splice(0);
        if (stopping) { for (const f of all) for (const p of f.batch) p.msg.nak(); break; }
        await onStoreDown(all.flatMap((f) => f.batch), all[0]!.err);
        continue;
      }
      if (queue.length === 0 || inflight.size >= concurrency) {
        await new Promise<void>((resolve) => { wake = resolve; });
        continue;
      }
      const batch = queue.splice(0, maxBatch);
      const run: Promise<void> = handle(batch)
        .catch((err) => {
          for (const p of batch) noteError(p.msg.seq, `store unavailable: ${errorMessage(err)}`);
          if (stopping) for (const p of batch) p.msg.nak();
          else failed.push({ batch, err });
        })
        .finally(() => { inflight.delete(run); signal(); });
      inflight.add(run);
    }
    await Promise.all(inflight);
  }

  async function tuneAckWait(): Promise<number> {
    const p99 = times.percentile(99);
    stats.handlingP99Ms = p99;
    const next = recommendedAckWaitMs(p99, policy);
    if (jsm && Math.abs(next - stats.ackWaitMs) / stats.ackWaitMs > 0.2) {
      await updateAckWait(jsm, durable, next, maxDeliver, prefetch * 2, o.replicas ?? 1);
      log.info('ack_wait updated from measured handling time', { p99Ms: p99, ackWaitMs: next, previousMs: stats.ackWaitMs });
      stats.ackWaitMs = next;
      o.metrics?.ackWait(next);
    }
    return stats.ackWaitMs;
  }

  return {
    async start() {
      if (stats.running) return;
      jsm = await jetstreamManager(o.nc);
      const m = jsm;
      if (o.ensureStream !== false) await retryJetStreamSetup('alarm stream', () => ensureAlarmStream(m, { replicas: o.replicas ?? 1, ...(typeof o.ensureStream === 'object' ? o.ensureStream : {}) }), { logger: log });
      const info = await retryJetStreamSetup('ingest consumer', () => ensureHubConsumer(m, { durable, ackWaitMs: stats.ackWaitMs, maxDeliver, maxAckPending: prefetch * 2, replicas: o.replicas ?? 1 }), { logger: log });
      stats.ackWaitMs = Math.round((info.config.ack_wait ?? 0) / 1e6) || stats.ackWaitMs;
      o.metrics?.ackWait(stats.ackWaitMs);
      stopping = false;
      abort = new AbortController();
      stats.running = true;
      maxDeliveries = watchMaxDeliveries({
        nc: o.nc, jsm, stream: ALARM_STREAM, durable, now: () => o.clock.now(), logger: log,
        lastError: (seq) => lastErrors.get(seq),
        deadLetter: async (d) => {
          await storeDeadLetters(o.db, [d]);
          stats.maxDeliveriesReached++;
          stats.deadLettered++;
          o.metrics?.deadLettered(1);
          try { publishDeadLetters(o.nc, [d]); } catch (err) { log.warn('cannot publish dead letters', { err: errorMessage(err) }); }
        },
      });
      await retryJetStreamSetup('alarm pull', () => startPump(), { logger: log });
      worker = work().catch((err) => log.error('ingest worker stopped', { err: errorMessage(err) }));
      tuneTimer = o.clock.setInterval(() => { tuneAckWait().catch((err) => log.warn('cannot update ack_wait', { err: errorMessage(err) })); }, o.tuneEveryMs ?? 30_000);
      log.info('ingest started', { durable, maxBatch, ackWaitMs: stats.ackWaitMs });
    },
    async stop() {
      if (!stats.running) return;
      stopping = true;
      tuneTimer?.cancel();
      maxDeliveries?.stop();
      maxDeliveries = null;
      abort.abort();
      await stopPump();
      signal();
      await worker;
      // Pulled but not handled: give them straight back for another replica or the next start.
      for (const p of queue.splice(0)) p.msg.nak();
      stats.running = false;
      log.info('ingest stopped', { processed: stats.processed });
    },
    stats: () => ({ ...stats, handlingP99Ms: times.percentile(99) }),
    tuneAckWait,
  };
}

function deadLetter(msg: JsMsg, reason: string, atMs: number): DeadLetter {
  return { atMs, subject: msg.subject, streamSeq: msg.seq, msgId: msg.headers?.get('Nats-Msg-Id') || null, reason, payload: msg.data };
}
