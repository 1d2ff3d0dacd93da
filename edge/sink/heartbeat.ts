import { z } from 'zod';
import type { NatsConnection } from '@nats-io/transport-node';
import { losLevel, token } from '../../common/alarm.ts';
import { ValidationError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { healthSubject } from '../../common/subjects.ts';

/** Heartbeat payload v1 on vigil.health.<site>.<edge>: what the hub shows as the edge's health. */
export const healthPayloadSchema = z.object({
  v: z.literal(1),
  site: token,
  edge: token,
  /** ISO 8601 time the heartbeat was built */
  at: z.iso.datetime({ offset: true }),
  uptimeS: z.number().nonnegative(),
  cameras: z.array(z.object({
    id: token,
    state: z.enum(['starting', 'ok', 'offline', 'frozen', 'tamper', 'ended']),
    fps: z.number().nonnegative(),
    /** age of the oldest frame waiting for detection */
    queueAgeMs: z.number().nonnegative().optional(),
    /**
     * change-gated inference and overload: frames detected, frames that reused
     * the last detection (no change), frames the detector could not take, and
     * whether the camera's detect rate is lowered by overload right now
     */
    detect: z.object({
      detected: z.number().int().nonnegative(),
      gated: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      overloaded: z.boolean(),
    }).optional(),
    /**
     * the latest density map over the whole frame (common/crowd-grid.ts), and
     * the source size the zone polygons are drawn in, for the dashboard's
     * crowd picture
     */
    crowd: z.object({
      grid: z.object({ w: z.number().int().positive().max(64), h: z.number().int().positive().max(64), max: z.number().nonnegative(), data: z.string().max(8000) }),
      sourceWidth: z.number().int().positive(),
      sourceHeight: z.number().int().positive(),
      at: z.iso.datetime({ offset: true }),
    }).optional(),
  })).max(256),
  outbox: z.object({
    depth: z.number().int().nonnegative(),
    oldestAgeMs: z.number().nonnegative(),
    dropped: z.number().int().nonnegative(),
    dbBytes: z.number().nonnegative().optional(),
    refused: z.number().int().nonnegative().optional(),
  }),
  link: z.enum(['up', 'down']).optional(),
  /** edge.disk: the outbox's volume (see edge/sink/outbox.ts DiskState) */
  disk: z.object({
    state: z.enum(['ok', 'low', 'reserve', 'full']),
    freeBytes: z.number().nonnegative().nullable(),
    /** alarms waiting in memory for space */
    held: z.number().int().nonnegative(),
    /** alarms refused for lack of space (never a critical) */
    refused: z.number().int().nonnegative(),
    snapshotsDropped: z.number().int().nonnegative(),
  }).optional(),
  /** disk pressure or other health warnings; empty when all is well */
  warnings: z.array(z.string().max(300)).max(32).default([]),
  /** latest crowd figures per zone (persons/m², smoothed), for the hub's live density charts and map */
  zones: z.array(z.object({
    camera: token,
    zone: token,
    count: z.number().nonnegative(),
    density: z.number().nonnegative(),
    los: losLevel,
    method: z.string().max(32),
    confidence: z.number().min(0).max(1).optional(),
    /** persons detected, and the density map's integral over the zone (null without a density head) */
    detected: z.number().int().nonnegative().optional(),
    densityCount: z.number().nonnegative().nullable().optional(),
    trendPerMin: z.number(),
  })).max(1024).optional(),
});
export type HealthPayload = z.input<typeof healthPayloadSchema>;
export type HealthMessage = z.infer<typeof healthPayloadSchema>;

export function parseHealth(bytes: Uint8Array): HealthMessage {
  let value: unknown;
  try { value = JSON.parse(new TextDecoder().decode(bytes)); } catch (err) {
    throw new ValidationError('payload', 'is not valid JSON', { cause: err });
  }
  const r = healthPayloadSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(issue.path.join('.') || 'health', issue.message, { cause: r.error });
  }
  return r.data;
}

export interface HeartbeatOptions {
  nc: NatsConnection;
  site: string;
  edgeId: string;
  /** @default 5_000 ms */
  intervalMs?: number;
  collect: () => HealthPayload;
  logger?: Logger;
}

export interface Heartbeat {
  /** publishes one heartbeat now */
  beat(): void;
  stop(): void;
}

/**
 * Publishes the edge's health on core NATS (not the stream: a heartbeat is
 * only worth its latest value, and a missed one is itself the signal).
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const intervalMs = options.intervalMs ?? 5_000;
  if (!(intervalMs >= 100)) throw new ValidationError('intervalMs', `must be at least 100 (got ${intervalMs})`);
  const subject = healthSubject(options.site, options.edgeId);
  const logger = options.logger ?? silentLogger;
  // While the link is down a heartbeat would only be buffered and arrive late in
  // a burst; a gap is the honest signal.
  let linkUp = true;
  void (async () => {
    for await (const s of options.nc.status()) {
      if (s.type === 'disconnect') linkUp = false;
      else if (s.type === 'reconnect') linkUp = true;
    }
  })().catch((err) => logger.warn('heartbeat link watch ended', { error: err }));
  const beat = () => {
    if (options.nc.isClosed() || !linkUp) return;
    try {
      const r = healthPayloadSchema.safeParse(options.collect());
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new ValidationError(issue.path.join('.') || 'health', issue.message, { cause: r.error });
      }
      if (r.data.site !== options.site || r.data.edge !== options.edgeId) throw new ValidationError('site', 'heartbeat names another site or edge');
      options.nc.publish(subject, JSON.stringify(r.data));
    } catch (err) {
      logger.warn('heartbeat not sent', { error: err });
    }
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref?.();
  beat();
  return { beat, stop: () => clearInterval(timer) };
}
