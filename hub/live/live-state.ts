import type { Alarm, LevelOfService } from '../../common/alarm.ts';
import type { SiteConfig } from '../../common/config/site.ts';
import type { Clock } from '../../common/clock.ts';
import { decodeCrowdGrid, type CrowdGrid } from '../../common/crowd-grid.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { Heartbeat } from './heartbeat.ts';

/** How long the series keep points, and how long a camera may go unheard before it shows as stale. */
export const LIVE_WINDOW_MS = 60 * 60 * 1000;
export const STALE_AFTER_MS = 30_000;
/** One point per second for an hour is the most any zone keeps. */
const SERIES_CAPACITY = 3600;

export interface ZonePoint { t: number; density: number; count: number; los: LevelOfService; source: 'heartbeat' | 'alarm' }
export interface CrowdAlarmPoint { t: number; id: string; state: 'raised' | 'cleared'; level: 'warning' | 'critical'; density: number; threshold: number }

export interface CameraLive {
  site: string;
  camera: string;
  name: string | null;
  edge: string | null;
  /** ok, offline, frozen, tamper, stale (no heartbeat lately) or unknown (never heard) */
  status: string;
  reason: string | null;
  fps: number | null;
  lastHeartbeatMs: number | null;
  lastFrameMs: number | null;
  /** camera.* alarm kinds raised and not yet cleared */
  openAlarms: string[];
  position: { x: number; y: number } | null;
  /** the edge's latest density map over the frame (common/crowd-grid.ts) and the source size zones are drawn in */
  crowd: CameraCrowd | null;
}

export interface CameraCrowd { grid: CrowdGrid; sourceWidth: number; sourceHeight: number; atMs: number }

export interface EdgeLive {
  site: string;
  edge: string;
  lastHeartbeatMs: number;
  /** no heartbeat for longer than the stale limit */
  stale: boolean;
  outboxDepth: number | null;
  outboxOldestAgeMs: number | null;
  link: string | null;
  warnings: string[];
  /** edge.disk as the edge reports it: ok, low, reserve or full, with alarms held in memory */
  disk: { state: string; held: number | null; refused: number | null } | null;
}

export interface ZoneLive {
  site: string;
  camera: string;
  zone: string;
  name: string | null;
  areaM2: number;
  warningDensity: number;
  criticalDensity: number;
  latest: (ZonePoint & { method: string | null; trendPerMin: number | null }) | null;
  series: ZonePoint[];
  alarms: CrowdAlarmPoint[];
}

interface CameraState { edge: string | null; status: string | null; reason: string | null; fps: number | null; lastHeartbeatMs: number | null; lastFrameMs: number | null; open: Map<string, string>; crowd: CameraCrowd | null }
interface ZoneState { series: RingBuffer<ZonePoint>; alarms: RingBuffer<CrowdAlarmPoint>; method: string | null; trendPerMin: number | null }

export interface LiveState {
  /** `from` is the heartbeat's subject (vigil.health.<site>.<edge>); the body's own site and edge are not trusted */
  applyHeartbeat(from: { site: string; edge: string }, hb: Heartbeat): void;
  applyAlarm(alarm: Alarm): void;
  cameras(): CameraLive[];
  edges(): EdgeLive[];
  zones(options?: { since?: number; site?: string }): ZoneLive[];
}

const key = (...parts: string[]) => parts.join('\u0000');
/** edges kept per site when the site config does not list them */
export const MAX_EDGES_PER_SITE = 64;
const HEALTH_KINDS: Record<string, string> = { 'camera.offline': 'offline', 'camera.frozen': 'frozen', 'camera.tamper': 'tamper' };

/**
 * The hub's live picture of the edges, which nothing else keeps: camera health
 * from heartbeats and camera.* alarms, and per-zone density series for the
 * last hour from heartbeats and crowd alarm measures. In memory only: after a
 * restart the series refill from the next heartbeats.
 */
export function createLiveState(options: { sites: readonly SiteConfig[]; clock: Clock; windowMs?: number; staleAfterMs?: number }): LiveState {
  const windowMs = options.windowMs ?? LIVE_WINDOW_MS;
  const staleAfterMs = options.staleAfterMs ?? STALE_AFTER_MS;
  const cams = new Map<string, CameraState>();
  const zones = new Map<string, ZoneState>();
  const edges = new Map<string, Omit<EdgeLive, 'stale'>>();
  // State is kept only for configured sites, cameras and zones (and edges, where the site lists them):
  // each series is bounded, and so must be their number, whatever ids an edge sends.
  const configuredZones = new Set(options.sites.flatMap((s) => s.cameras.flatMap((c) => c.zones.map((z) => key(s.site.id, c.id, z.id)))));
  const configuredCameras = new Set(options.sites.flatMap((s) => s.cameras.map((c) => key(s.site.id, c.id))));
  const siteEdges = new Map(options.sites.map((s) => [s.site.id, s.site.edges ? new Set(s.site.edges) : null] as const));
  const edgesOf = new Map<string, number>();

  const cameraState = (site: string, camera: string): CameraState | null => {
    const k = key(site, camera);
    if (!configuredCameras.has(k)) return null;
    let s = cams.get(k);
    if (!s) cams.set(k, (s = { edge: null, status: null, reason: null, fps: null, lastHeartbeatMs: null, lastFrameMs: null, open: new Map(), crowd: null }));
    return s;
  };
  /** Whether heartbeats of this edge are kept: its site is configured here, and so is the edge (or there is room). */
  const edgeAccepted = (site: string, edge: string): boolean => {
    if (!siteEdges.has(site)) return false;
    const listed = siteEdges.get(site);
    if (listed) return listed.has(edge);
    if (edges.has(key(site, edge))) return true;
    const n = edgesOf.get(site) ?? 0;
    if (n >= MAX_EDGES_PER_SITE) return false;
    edgesOf.set(site, n + 1);
    return true;
  };
  const zoneState = (site: string, camera: string, zone: string): ZoneState | null => {
    const k = key(site, camera, zone);
    if (!configuredZones.has(k)) return null;
    let s = zones.get(k);
    if (!s) zones.set(k, (s = { series: new RingBuffer(SERIES_CAPACITY), alarms: new RingBuffer(500), method: null, trendPerMin: null }));
    return s;
  };
  const prune = (s: ZoneState) => {
    const cutoff = options.clock.now() - windowMs;
    s.series.dropWhile((p) => p.t < cutoff);
    s.alarms.dropWhile((p) => p.t < cutoff);
  };
  const pushPoint = (s: ZoneState, p: ZonePoint) => {
    // Points arrive from two sources; keep the series in time order for the chart.
    const last = s.series.last();
    if (last && p.t < last.t) return;
    // One point per instant: a chart's x values must strictly increase.
    if (last && p.t === last.t) Object.assign(last, p);
    else s.series.push(p);
    prune(s);
  };

  return {
    applyHeartbeat({ site, edge }, hb) {
      if (!edgeAccepted(site, edge)) return;
      const now = options.clock.now();
      const at = hb.at ?? hb.sentAt ?? now;
      edges.set(key(site, edge), {
        site, edge, lastHeartbeatMs: now,
        outboxDepth: hb.outbox?.depth ?? null, outboxOldestAgeMs: hb.outbox?.oldestAgeMs ?? null, link: hb.link ?? null, warnings: hb.warnings,
        disk: hb.disk ? { state: hb.disk.state, held: hb.disk.held ?? null, refused: hb.disk.refused ?? null } : null,
      });
      for (const c of hb.cameras) {
        const s = cameraState(site, c.id);
        if (!s) continue;
        s.edge = edge;
        s.status = normaliseStatus(c.status ?? c.state ?? 'ok');
        s.reason = c.reason ?? null;
        s.fps = c.fps ?? null;
        s.lastHeartbeatMs = now;
        s.lastFrameMs = c.lastFrameAt ?? s.lastFrameMs;
        // Only a grid that decodes is kept: a malformed one would draw garbage on the dashboard.
        if (c.crowd && decodeCrowdGrid(c.crowd.grid)) s.crowd = { grid: c.crowd.grid, sourceWidth: c.crowd.sourceWidth, sourceHeight: c.crowd.sourceHeight, atMs: c.crowd.at ?? at };
      }
      for (const z of hb.zones) {
        const cs = cameraState(site, z.camera);
        if (!cs) continue;
        cs.edge = edge;
        cs.lastHeartbeatMs = now;
        const s = zoneState(site, z.camera, z.zone);
        if (!s) continue;
        s.method = z.method ?? null;
        s.trendPerMin = z.trendPerMin ?? null;
        pushPoint(s, { t: at, density: z.density, count: z.count, los: z.los, source: 'heartbeat' });
      }
    },
    applyAlarm(a) {
      const t = Date.parse(a.capturedAt);
      if (a.kind in HEALTH_KINDS) {
        const s = cameraState(a.site, a.camera);
        if (!s) return;
        if (a.state === 'raised') s.open.set(a.kind, a.health?.reason ?? a.message ?? a.kind);
        else s.open.delete(a.kind);
        return;
      }
      if (a.kind === 'crowd.density' && a.crowd && a.zone) {
        const s = zoneState(a.site, a.camera, a.zone);
        if (!s) return;
        s.alarms.push({ t, id: a.id, state: a.state, level: a.crowd.level, density: a.crowd.density, threshold: a.crowd.threshold });
        s.method = a.crowd.method;
        s.trendPerMin = a.crowd.trendPerMin;
        pushPoint(s, { t, density: a.crowd.density, count: a.crowd.count, los: a.crowd.los, source: 'alarm' });
      }
    },
    cameras() {
      const now = options.clock.now();
      const out: CameraLive[] = [];
      const describe = (site: string, camera: string, name: string | null, position: { x: number; y: number } | null) => {
        const s = cams.get(key(site, camera));
        const open = s ? [...s.open.keys()] : [];
        // An open health alarm outranks the heartbeat: the edge's own verdict on the camera.
        let status = open.length ? HEALTH_KINDS[open[0]!]! : s?.status ?? 'unknown';
        if (!open.length && s?.lastHeartbeatMs != null && now - s.lastHeartbeatMs > staleAfterMs) status = 'stale';
        out.push({
          site, camera, name, position, status,
          edge: s?.edge ?? null,
          reason: open.length ? s!.open.get(open[0]!)! : s?.reason ?? null,
          fps: s?.fps ?? null,
          lastHeartbeatMs: s?.lastHeartbeatMs ?? null,
          lastFrameMs: s?.lastFrameMs ?? null,
          openAlarms: open,
          crowd: s?.crowd ?? null,
        });
      };
      for (const site of options.sites) for (const c of site.cameras) describe(site.site.id, c.id, c.name ?? null, c.position ? { x: c.position.x, y: c.position.y } : null);
      return out;
    },
    edges() {
      const now = options.clock.now();
      return [...edges.values()].map((e) => ({ ...e, stale: now - e.lastHeartbeatMs > staleAfterMs }));
    },
    zones({ since, site } = {}) {
      const out: ZoneLive[] = [];
      for (const cfg of options.sites) {
        if (site && cfg.site.id !== site) continue;
        for (const cam of cfg.cameras) {
          for (const z of cam.zones) {
            const s = zones.get(key(cfg.site.id, cam.id, z.id));
            if (s) prune(s);
            const series = s ? s.series.toArray() : [];
            const last = series.at(-1);
            out.push({
              site: cfg.site.id, camera: cam.id, zone: z.id, name: z.name ?? null, areaM2: z.areaM2,
              warningDensity: z.crowd.warningDensity, criticalDensity: z.crowd.criticalDensity,
              latest: last ? { ...last, method: s!.method, trendPerMin: s!.trendPerMin } : null,
              series: since === undefined ? series : series.filter((p) => p.t > since),
              alarms: s ? s.alarms.toArray().filter((p) => since === undefined || p.t > since) : [],
            });
          }
        }
      }
      return out;
    },
  };
}

function normaliseStatus(s: string): string {
  const v = s.toLowerCase();
  return v === 'online' || v === 'running' || v === 'healthy' ? 'ok' : v;
}
