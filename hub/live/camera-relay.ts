import type { SiteConfig } from '../../common/config/site.ts';
import { errorMessage } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { ApiError } from '../service-errors.ts';
import { NotFoundError } from '../store/not-found.ts';
import type { LiveState } from './live-state.ts';

export interface CameraRelayOptions {
  sites: readonly SiteConfig[];
  live: LiveState;
  /** edge id → base URL of its HTTP server (hub.yaml liveView.edges): the hub fetches from these only */
  edges: Readonly<Record<string, string>>;
  /** the key the edges expect (their http.liveToken); null: live view off */
  token: string | null;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 5000 */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface CameraRelay {
  /** the camera's live MJPEG stream from the edge that runs it, ended when `signal` aborts */
  stream(site: string, camera: string, fps: number, signal: AbortSignal): Promise<Response>;
  /** one JPEG of the camera's newest frame */
  frame(site: string, camera: string, signal: AbortSignal): Promise<Response>;
}

/**
 * The hub's side of the live view: it reaches the edge that runs a camera
 * (known from the edge's heartbeats) at an address from the hub's own config,
 * never one an edge announced, and passes the stream through. The browser only
 * ever talks to the hub, behind its login and role checks.
 */
export function createCameraRelay(options: CameraRelayOptions): CameraRelay {
  const o = Object.freeze({ connectTimeoutMs: 5_000, ...options });
  const unavailable = (camera: string, reason: string, status: 502 | 503 = 503) =>
    new ApiError(status, 'live_unavailable', `the live view of camera ${camera} is not available: ${reason}`, 'error.live_unavailable', { camera, reason });

  const edgeUrl = (site: string, camera: string): string => {
    const cfg = o.sites.find((s) => s.site.id === site);
    if (!cfg || !cfg.cameras.some((c) => c.id === camera)) throw new NotFoundError('camera', `${site}/${camera}`);
    if (!o.token) throw unavailable(camera, 'not configured on this hub (liveView.token)');
    const heard = o.live.cameras().find((c) => c.site === site && c.camera === camera)?.edge ?? null;
    const configured = Object.keys(o.edges);
    // Before a heartbeat names the edge, a hub with one edge knows where to look.
    const edge = heard ?? (configured.length === 1 ? configured[0]! : null);
    if (!edge) throw unavailable(camera, 'no edge has reported this camera yet');
    const base = o.edges[edge];
    if (!base) throw unavailable(camera, `edge ${edge} has no address in liveView.edges`);
    return base.replace(/\/+$/, '');
  };

  const get = async (url: string, camera: string, signal: AbortSignal): Promise<Response> => {
    // The time limit is for the edge to answer; the stream itself runs until the viewer leaves.
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => abort.abort(new Error('the edge did not answer in time')), o.connectTimeoutMs);
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(url, { headers: { authorization: `Bearer ${o.token}` }, signal: abort.signal, redirect: 'error' });
    } catch (err) {
      signal.removeEventListener('abort', onAbort);
      o.logger?.warn('live view: edge unreachable', { camera, err: errorMessage(err) });
      throw unavailable(camera, 'the edge does not answer', 502);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw unavailable(camera, `the edge answered ${res.status}`, res.status === 503 ? 503 : 502);
    }
    return res;
  };

  return {
    async stream(site, camera, fps, signal) {
      return get(`${edgeUrl(site, camera)}/cameras/${encodeURIComponent(camera)}/live.mjpg?fps=${fps}`, camera, signal);
    },
    async frame(site, camera, signal) {
      return get(`${edgeUrl(site, camera)}/cameras/${encodeURIComponent(camera)}/frame.jpg`, camera, signal);
    },
  };
}
