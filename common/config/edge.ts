import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { token } from '../alarm.ts';
import { natsConfigSchema } from './nats.ts';
import { secretSchema } from './secret.ts';
import { loadConfigFile, resolveFrom } from './load.ts';
import { loadSiteConfig, type SiteConfig } from './site.ts';

/**
 * edge.yaml: one edge node. The site (cameras, zones, sensors) lives in its
 * own file, shared with the hub, so the two cannot disagree about zone ids.
 *
 * ```yaml
 * edge:
 *   id: edge-north-1
 *   site: sites/north.yaml          # relative to this file
 *   cameras: [cam-1, cam-2]         # optional: the site's cameras this edge runs (default all)
 * nats: { servers: [nats://leaf-north:4222], auth: { nkeySeed: { file: /run/secrets/edge.nk } } }
 * ```
 */
export const edgeConfigSchema = z.object({
  edge: z.object({
    id: token,
    site: z.string().min(1),
    cameras: z.array(token).optional(),
    /** detector worker threads; @default the number of CPU cores */
    workers: z.number().int().min(1).max(64).optional(),
    backend: z.enum(['auto', 'node', 'wasm', 'cpu']).default('auto'),
    detect: z.object({
      fps: z.number().positive().max(30).default(2),
      maxBatch: z.number().int().min(1).max(64).default(4),
      maxWaitMs: z.number().int().min(0).max(10_000).default(100),
      /** frames older than this are dropped, never queued */
      maxAgeMs: z.number().int().positive().default(2_000),
      minScore: z.number().min(0).max(1).default(0.2),
      /**
       * change-gated inference: a camera whose picture has not changed skips
       * detection and reuses the last result, but is detected at least every
       * maxIntervalS so a still crowd keeps a fresh count
       */
      gate: z.object({
        enabled: z.boolean().default(true),
        maxIntervalS: z.number().positive().max(60).default(5),
        /** grey levels a 64×48 thumbnail cell must move to count as change */
        cellDelta: z.number().positive().max(254).default(10),
        /** fraction of thumbnail cells that must change */
        minChangedFraction: z.number().min(0).max(0.5).default(0.002),
      }).strict().prefault({}),
    }).strict().prefault({}),
    /** metrics, the sensor webhook and the cameras' live view */
    http: z.object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9464),
      /** the hub's key to the live view (GET /cameras/:id/live.mjpg); without it the live view is off */
      liveToken: secretSchema.optional(),
      /** @default 2 (1–2 fps: enough to see, cheap to send) */
      liveMaxFps: z.number().positive().max(2).default(2),
    }).strict().prefault({}),
    outbox: z.object({
      /** SQLite file of the durable outbox */
      path: z.string().default('data/outbox.db'),
      maxRows: z.number().int().positive().default(100_000),
      maxDbMB: z.number().positive().default(1024),
      minFreeMB: z.number().positive().default(256),
      /** space kept in reserve beside the outbox and given up to it when the disk fills (0: none) */
      reserveMB: z.number().min(0).max(4096).default(64),
      /** alarms held in memory while the disk refuses commits (criticals are never refused) */
      maxHeld: z.number().int().positive().default(10_000),
    }).strict().prefault({}),
    heartbeatMs: z.number().int().min(500).default(5_000),
    /** WS-Discovery: probe for ONVIF cameras at start and log what answers */
    discovery: z.object({
      enabled: z.boolean().default(false),
      /** unicast probe targets (host or host:port) where multicast does not reach */
      addresses: z.array(z.string()).default([]),
      timeoutMs: z.number().int().positive().default(3_000),
    }).strict().prefault({}),
    /** motion events are cleared after this long without a new one */
    motionHoldS: z.number().positive().default(30),
  }).strict(),
  nats: natsConfigSchema,
}).strict();

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;

export interface LoadedEdgeConfig {
  file: string;
  config: EdgeConfig;
  siteFile: string;
  site: SiteConfig;
}

/** Loads edge.yaml and the site file it names; an unknown camera id is an error naming the path. */
export function loadEdgeConfig(file: string): LoadedEdgeConfig {
  const config = loadConfigFile(edgeConfigSchema, file);
  const siteFile = resolveFrom(file, config.edge.site);
  const site = loadSiteConfig(siteFile);
  const known = new Set(site.cameras.map((c) => c.id));
  const unknown = (config.edge.cameras ?? []).map((id, i) => ({ id, i })).filter(({ id }) => !known.has(id));
  if (unknown.length) {
    throw new ConfigError(file, unknown.map(({ id, i }) => ({ path: `edge.cameras.${i}`, message: `camera ${id} is not in ${siteFile}` })));
  }
  return { file, config, siteFile, site };
}
