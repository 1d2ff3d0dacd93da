import type { CameraConfig } from '../../common/config/site.ts';
import { systemClock, type Clock, type TimerHandle } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import type { AnalyzerOutput } from '../types.ts';
import { AsyncQueue } from './async-queue.ts';
import { connectOnvif, type OnvifConnection } from './onvif-connection.ts';
import { onvifConnectOptions } from './onvif-config.ts';
import { OnvifError, toOnvifError } from './onvif-error.ts';
import { createOnvifAlarmMapper } from './onvif-event-alarms.ts';

export type OnvifWatcherStatus =
  | { type: 'connected'; camera: string; clockOffsetMs: number }
  | { type: 'subscribed'; camera: string; terminationAt: number }
  | { type: 'renewed'; camera: string; terminationAt: number }
  | { type: 'lost'; camera: string; error: OnvifError }
  | { type: 'recreating'; camera: string; attempt: number; delayMs: number }
  | { type: 'stopped'; camera: string };

export interface OnvifEventWatcherOptions {
  camera: CameraConfig;
  /** for log lines only: AnalyzerOutput carries no site */
  site?: string;
  /** an existing connection for the first subscription; later ones reconnect */
  connection?: OnvifConnection;
  /** how to reconnect; from the camera's config by default */
  connect?: () => Promise<OnvifConnection>;
  configFile?: string;
  /** @default systemClock */
  clock?: Clock;
  logger: Logger;
  /** @default 10 seconds */
  motionHoldS?: number;
  onAlarm?: (out: AnalyzerOutput) => void;
  onStatus?: (s: OnvifWatcherStatus) => void;
  /** re-subscription backoff, doubled per failure with jitter. @default { initialMs: 1000, maxMs: 30000 } */
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface OnvifEventWatcher {
  start(): void;
  /** unsubscribes and stops; open alarms stay open (call flush() to clear them) */
  stop(): Promise<void>;
  flush(): void;
  alarms(): AsyncIterable<AnalyzerOutput>;
  status(): AsyncIterable<OnvifWatcherStatus>;
}

/**
 * A PullPoint subscription for one camera that renews itself at half its
 * lifetime, and when the camera goes away (or faults, or answers nonsense)
 * reconnects and re-subscribes with exponential backoff, for ever, without
 * throwing: one broken camera must not stop the others.
 */
export function createOnvifEventWatcher(opts: OnvifEventWatcherOptions): OnvifEventWatcher {
  const o = Object.freeze({ ...opts });
  const clock = o.clock ?? systemClock;
  const camera = o.camera.id;
  const logger = o.logger.child({ camera, ...(o.site ? { site: o.site } : {}) });
  const initialMs = o.backoff?.initialMs ?? 1000;
  const maxMs = o.backoff?.maxMs ?? 30_000;
  const alarms = new AsyncQueue<AnalyzerOutput>();
  const statuses = new AsyncQueue<OnvifWatcherStatus>();
  const connect = o.connect ?? (() => connectOnvif(onvifConnectOptions(o.camera, logger, o.configFile)));

  const mapper = createOnvifAlarmMapper({
    camera,
    zone: o.camera.zones[0]?.id ?? null,
    clock,
    motionHoldS: o.motionHoldS ?? 10,
    emit: (out) => {
      alarms.push(out);
      try { o.onAlarm?.(out); } catch (err) { logger.error('onAlarm callback threw', { error: err }); }
    },
  });

  const status = (s: OnvifWatcherStatus) => {
    statuses.push(s);
    try { o.onStatus?.(s); } catch (err) { logger.error('onStatus callback threw', { error: err }); }
  };

  let running = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let conn: OnvifConnection | null = null;
  let renewTimer: TimerHandle | null = null;
  let wakeSleep: (() => void) | null = null;

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = clock.setTimeout(() => { wakeSleep = null; resolve(); }, ms);
    wakeSleep = () => { t.cancel(); wakeSleep = null; resolve(); };
  });

  const scheduleRenew = (c: OnvifConnection, terminationAt: number) => {
    renewTimer?.cancel();
    const lifetime = terminationAt - Date.now();
    renewTimer = clock.setTimeout(() => {
      renewTimer = null;
      if (stopped || conn !== c) return;
      c.renew().then((t) => {
        if (stopped || conn !== c) return;
        status({ type: 'renewed', camera, terminationAt: t });
        scheduleRenew(c, t);
      }, (err) => {
        // the held pull fails too once the subscription is gone; retry the renew meanwhile
        logger.warn('onvif subscription renew failed', { error: err });
        if (!stopped && conn === c) scheduleRenew(c, Date.now() + 2000);
      });
    }, Math.max(250, lifetime / 2));
  };

  async function run() {
    let attempt = 0;
    let first = true;
    while (!stopped) {
      try {
        const c = first && o.connection ? o.connection : await connect();
        first = false;
        if (stopped) break;
        conn = c;
        status({ type: 'connected', camera, clockOffsetMs: c.clockOffsetMs });
        const sub = await c.createPullPoint();
        if (stopped) {
          await c.unsubscribe().catch((err) => logger.debug('unsubscribe on stop failed', { error: err }));
          break;
        }
        status({ type: 'subscribed', camera, terminationAt: sub.terminationAt });
        logger.info('onvif event subscription created', { camera: c.label });
        scheduleRenew(c, sub.terminationAt);
        while (!stopped) {
          const r = await c.pullMessages();
          if (stopped) break;
          attempt = 0; // only a working pull proves the camera healthy: a create-then-fault loop keeps backing off
          for (const n of r.notifications) mapper.handle(n);
        }
      } catch (err) {
        first = false;
        renewTimer?.cancel();
        renewTimer = null;
        const lost = conn;
        conn = null;
        if (stopped) break;
        // A pull that failed (a fault, a malformed reply) may leave the subscription alive on the
        // camera; cameras allow only a few, so release it rather than leak one per retry. Not
        // awaited: an unreachable camera must not delay the backoff.
        if (lost) void lost.unsubscribe().catch((e) => logger.debug('releasing the lost subscription failed', { error: e }));
        const error = toOnvifError(`${camera} (${hostOf(o.camera)})`, 'events', err);
        status({ type: 'lost', camera, error });
        logger.warn('onvif event subscription lost', { error });
        const base = Math.min(maxMs, initialMs * 2 ** attempt);
        const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
        attempt += 1;
        status({ type: 'recreating', camera, attempt, delayMs });
        await sleep(delayMs);
      }
    }
  }

  return {
    start() {
      if (running || stopped) return;
      running = true;
      loop = run().catch((err) => logger.error('onvif event watcher crashed', { error: err }));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      renewTimer?.cancel();
      wakeSleep?.();
      const c = conn;
      conn = null;
      if (c) await c.unsubscribe().catch((err) => logger.debug('unsubscribe on stop failed', { error: err }));
      // a real camera may hold the last pull open for up to a minute: do not wait for it
      if (loop) {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([loop, new Promise((r) => { t = setTimeout(r, 2000); })]);
        clearTimeout(t);
      }
      status({ type: 'stopped', camera });
      alarms.close();
      statuses.close();
    },
    flush: () => mapper.flush(),
    alarms: () => alarms,
    status: () => statuses,
  };
}

function hostOf(camera: CameraConfig): string {
  return 'onvif' in camera.source ? `${camera.source.onvif.host}:${camera.source.onvif.port}` : 'not onvif';
}
