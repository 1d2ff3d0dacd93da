import { useEffect, useRef, useState } from 'preact/hooks';
import { decodeCrowdGrid, type CrowdGrid } from '../../../../common/crowd-grid.ts';
import { cameraFrameUrl } from '../api.ts';
import { html } from '../html.ts';
import { clock, nameOf, t } from '../i18n.ts';
import { losColour } from '../logic.ts';

/**
 * Where the crowd is, before how many: the camera's picture with the edge's
 * latest density map drawn over each zone (cells shade from clear to red with
 * the persons they hold), the zone outlines and their counts. Security staff
 * trust a picture of the crowd before a number. Without live video (the role
 * or the hub's configuration), the zones are drawn on a plain background.
 */
interface ZoneFigure { id: string; name: string; polygon: [number, number][]; count: number | null; los: string | null; method: string | null }

export interface CrowdPictureProps {
  site: string;
  camera: string;
  cameraName: string;
  crowd: { grid: CrowdGrid; sourceWidth: number; sourceHeight: number; atMs: number };
  zones: ZoneFigure[];
  tz: string;
  /** fetch the camera's picture (roles with live video) */
  picture: boolean;
}

/** The same ramp as the edge's overlay (edge/density/density-overlay.ts): yellow to red, alpha rising with density. */
function cellColour(v: number): string | null {
  if (v < 0.02) return null;
  const g = Math.round(230 * (1 - v) + 20 * v);
  const b = Math.round(40 * (1 - v));
  return `rgba(255,${g},${b},${((60 + 140 * Math.sqrt(v)) / 255).toFixed(3)})`;
}

export function CrowdPicture(p: CrowdPictureProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [frame, setFrame] = useState<HTMLImageElement | null>(null);
  const [noPicture, setNoPicture] = useState(!p.picture);

  // A fresh picture when the map changes (heartbeats), at most every 10 s.
  useEffect(() => {
    if (!p.picture) return;
    let live = true;
    let url: string | null = null;
    cameraFrameUrl(p.site, p.camera).then((u) => {
      if (!live) { URL.revokeObjectURL(u); return; }
      url = u;
      const img = new Image();
      img.onload = () => { if (live) { setFrame(img); setNoPicture(false); } };
      img.src = u;
    }, () => { if (live) setNoPicture(true); });
    return () => { live = false; if (url) URL.revokeObjectURL(url); };
  }, [p.site, p.camera, p.picture, Math.floor(p.crowd.atMs / 10_000)]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const W = c.clientWidth || 480;
    const H = Math.round((W * p.crowd.sourceHeight) / p.crowd.sourceWidth);
    c.width = W; c.height = H;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#1d2630';
    ctx.fillRect(0, 0, W, H);
    if (frame) ctx.drawImage(frame, 0, 0, W, H);
    const values = decodeCrowdGrid(p.crowd.grid);
    const sx = W / p.crowd.sourceWidth, sy = H / p.crowd.sourceHeight;
    const path = (z: ZoneFigure) => {
      ctx.beginPath();
      z.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x * sx, y * sy) : ctx.moveTo(x * sx, y * sy)));
      ctx.closePath();
    };
    if (values) {
      // Shade relative to the densest cell of the camera, so the hot spot shows whatever the scale.
      const max = Math.max(1e-6, ...values);
      const cw = W / p.crowd.grid.w, ch = H / p.crowd.grid.h;
      for (const z of p.zones) {
        ctx.save();
        path(z);
        ctx.clip();
        for (let gy = 0; gy < p.crowd.grid.h; gy++) {
          for (let gx = 0; gx < p.crowd.grid.w; gx++) {
            const colour = cellColour(values[gy * p.crowd.grid.w + gx]! / max);
            if (!colour) continue;
            ctx.fillStyle = colour;
            ctx.fillRect(gx * cw, gy * ch, cw + 0.5, ch + 0.5);
          }
        }
        ctx.restore();
      }
    }
    ctx.lineWidth = 2;
    ctx.font = `${Math.max(11, Math.round(W / 45))}px sans-serif`;
    for (const z of p.zones) {
      ctx.strokeStyle = losColour(z.los as never);
      path(z);
      ctx.stroke();
      const [lx, ly] = z.polygon.reduce(([ax, ay], [x, y]) => [ax + x / z.polygon.length, ay + y / z.polygon.length], [0, 0]);
      const label = z.count === null ? z.name : t('ui.crowd.zoneLabel', { zone: z.name, n: Math.round(z.count), los: z.los ?? '–' });
      const tw = ctx.measureText(label).width;
      ctx.fillStyle = 'rgba(0,0,0,0.6)';
      ctx.fillRect(lx * sx - tw / 2 - 4, ly * sy - 14, tw + 8, 20);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, lx * sx - tw / 2, ly * sy + 1);
    }
  }, [frame, p.crowd.grid.data, p.zones.map((z) => `${z.id}:${z.count}:${z.los}`).join()]);

  return html`<figure class="crowd-picture" data-crowd-camera=${p.camera}>
    <canvas ref=${canvas} class="crowd-canvas" role="img" aria-label=${t('ui.crowd.aria', { camera: p.cameraName })}></canvas>
    <figcaption>${t('ui.crowd.caption', { camera: p.cameraName, time: clock(p.crowd.atMs, p.tz) })}${noPicture ? ` · ${t('ui.crowd.noPicture')}` : ''}</figcaption>
  </figure>`;
}

/** The zones of a camera as the picture draws them, with their latest figures. */
export function zoneFigures(cam: any, liveZones: any[], site: string): ZoneFigure[] {
  return (cam?.zones ?? []).map((z: any) => {
    const lz = liveZones.find((x) => x.site === site && x.camera === cam.id && x.zone === z.id);
    return { id: z.id, name: nameOf(z, z.id), polygon: z.polygon, count: lz?.latest?.count ?? null, los: lz?.latest?.los ?? null, method: lz?.latest?.method ?? null };
  });
}
