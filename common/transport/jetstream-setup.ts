import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { createBackoff, sleep } from './backoff.ts';

/**
 * JetStream answers API calls with a timeout, "no responders" or "temporarily
 * unavailable" while a clustered node restarts and the meta or stream leaders
 * are elected again. A hub that starts (or restarts) then must wait it out,
 * not exit: the cluster is back within seconds.
 */
export function isTransientJetStreamError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/timeout|timed out|no responders|temporarily unavailable|not available|no suitable peers|leader|insufficient resources|stream is offline/i.test(errorMessage(e))) return true;
  }
  return false;
}

export interface JetStreamSetupOptions {
  /** give up after this long; @default 60_000 ms */
  deadlineMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Runs one idempotent setup step (create a stream, bucket, consumer), retrying while the cluster is only electing leaders. */
export async function retryJetStreamSetup<T>(what: string, step: () => Promise<T>, o: JetStreamSetupOptions = {}): Promise<T> {
  const end = Date.now() + (o.deadlineMs ?? 60_000);
  const backoff = createBackoff({ initialMs: 250, maxMs: 2000 });
  const logger = o.logger ?? silentLogger;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isTransientJetStreamError(err) || Date.now() >= end || o.signal?.aborted) throw err;
      const delay = backoff.next();
      logger.warn('jetstream not ready; retrying', { what, attempt, retryInMs: delay, err: errorMessage(err) });
      await sleep(delay, o.signal);
    }
  }
}
