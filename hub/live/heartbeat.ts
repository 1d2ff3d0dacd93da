import { z } from 'zod';
import { losLevel } from '../../common/alarm.ts';

/**
 * The edge heartbeat on `vigil.health.<site>.<edge>` as the hub reads it.
 * The hub only needs a few fields, and edges of other versions must not blank
 * the dashboard, so unknown fields pass and the time may come as ISO or ms.
 */
const when = z.union([z.number(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

export const heartbeatCamera = z.looseObject({
  id: z.string().min(1).max(64),
  /** ok/online, offline, frozen, tamper, starting…: shown as it comes */
  status: z.string().max(32).optional(),
  state: z.string().max(32).optional(),
  fps: z.number().nonnegative().optional(),
  lastFrameAt: when.nullable().optional(),
  reason: z.string().max(200).nullable().optional(),
  crowd: z.object({
    grid: z.object({ w: z.number().int().positive().max(64), h: z.number().int().positive().max(64), max: z.number().nonnegative(), data: z.string().max(8000) }),
    sourceWidth: z.number().int().positive().max(16384),
    sourceHeight: z.number().int().positive().max(16384),
    at: when.optional(),
  }).optional().catch(undefined),
});

export const heartbeatZone = z.looseObject({
  camera: z.string().min(1).max(64),
  zone: z.string().min(1).max(64),
  count: z.number().nonnegative(),
  density: z.number().nonnegative(),
  los: losLevel,
  method: z.string().max(32).optional(),
  trendPerMin: z.number().optional(),
});

export const heartbeatSchema = z.looseObject({
  site: z.string().min(1).max(64),
  edge: z.string().min(1).max(64),
  at: when.optional(),
  sentAt: when.optional(),
  cameras: z.array(heartbeatCamera).default([]),
  zones: z.array(heartbeatZone).default([]),
  outbox: z.looseObject({ depth: z.number().nonnegative(), oldestAgeMs: z.number().nonnegative().optional() }).optional(),
  link: z.string().max(16).optional(),
  disk: z.looseObject({ state: z.string().max(16), held: z.number().nonnegative().optional(), refused: z.number().nonnegative().optional() }).optional(),
  warnings: z.array(z.string().max(300)).default([]),
});

export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type HeartbeatZone = z.infer<typeof heartbeatZone>;

/** Parses a heartbeat payload; null (never a throw) for anything that is not one. */
export function parseHeartbeat(bytes: Uint8Array): Heartbeat | null {
  let value: unknown;
  try { value = JSON.parse(new TextDecoder().decode(bytes)); } catch { return null; }
  const r = heartbeatSchema.safeParse(value);
  return r.success ? r.data : null;
}
