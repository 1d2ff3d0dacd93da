import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../html.ts';
import { useStore } from '../store.ts';
import { clock, nameOf, t, tr } from '../i18n.ts';
import { FRUIN_BANDS, formatDensity, losColour, losLabel } from '../logic.ts';
import { LosBadge } from './common.ts';
import { CrowdPicture, zoneFigures } from './crowd-picture.ts';
import { may } from '../logic.ts';

/** Band and threshold drawing under the series: LOS bands with their letter, thresholds dashed with their name. */
function bandsPlugin(current: () => any): uPlot.Plugin {
  return {
    hooks: {
      drawAxes: [(u: uPlot) => {
        const zone = current();
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        const [ymin, ymax] = [u.scales.y!.min!, u.scales.y!.max!];
        ctx.save();
        // uPlot leaves its axis text settings on the context.
        ctx.textAlign = 'left';
        ctx.textBaseline = 'alphabetic';
        for (const b of FRUIN_BANDS) {
          const lo = Math.max(b.from, ymin);
          const hi = Math.min(b.to, ymax);
          if (hi <= lo) continue;
          const y1 = u.valToPos(hi, 'y', true);
          const y0 = u.valToPos(lo, 'y', true);
          ctx.globalAlpha = 0.14;
          ctx.fillStyle = losColour(b.los);
          ctx.fillRect(left, y1, width, y0 - y1);
          ctx.globalAlpha = 0.8;
          ctx.fillStyle = '#263238';
          ctx.font = `${Math.round(12 * devicePixelRatio)}px sans-serif`;
          if (y0 - y1 > 14 * devicePixelRatio) ctx.fillText(`LOS ${b.los}`, left + width - 52 * devicePixelRatio, y1 + 14 * devicePixelRatio);
        }
        ctx.globalAlpha = 1;
        for (const [value, name, colour] of [[zone.warningDensity, 'ui.charts.line.warning', '#b26a00'], [zone.criticalDensity, 'ui.charts.line.critical', '#b00020']] as const) {
          if (value < ymin || value > ymax) continue;
          const y = u.valToPos(value, 'y', true);
          ctx.strokeStyle = colour;
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash(name === 'ui.charts.line.warning' ? [8 * devicePixelRatio, 5 * devicePixelRatio] : [3 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
          ctx.fillStyle = colour;
          ctx.fillText(t(name, { value: String(value) }), left + 6 * devicePixelRatio, y - 4 * devicePixelRatio);
        }
        // Crowd alarms as labelled vertical marks: raised solid, cleared dotted.
        const [xmin, xmax] = [u.scales.x!.min!, u.scales.x!.max!];
        for (const a of zone.alarms ?? []) {
          const at = a.t / 1000;
          if (at < xmin || at > xmax) continue;
          const x = u.valToPos(at, 'x', true);
          ctx.strokeStyle = a.level === 'critical' ? '#b00020' : '#b26a00';
          ctx.setLineDash(a.state === 'raised' ? [] : [2 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
          ctx.fillStyle = ctx.strokeStyle;
          ctx.fillText(`${a.level === 'critical' ? '⬣' : '▲'} ${a.state === 'raised' ? t('ui.alarm.raised').slice(2) : t('ui.alarm.cleared').slice(2)}`, x + 3 * devicePixelRatio, top + height - 4 * devicePixelRatio);
        }
        ctx.restore();
      }],
    },
  };
}

function ZoneChart({ zone, wall, tz }: { zone: any; wall: boolean; tz: string }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(zone);
  latest.current = zone;
  const xs = zone.series.map((p: any) => p.t / 1000);
  const ys = zone.series.map((p: any) => p.density);
  const data: uPlot.AlignedData = [xs, ys];
  const yMax = Math.max(zone.criticalDensity * 1.25, ...ys.map((y: number) => y * 1.1), 0.05);
  // uPlot re-ranges y through `range` on every setData; a ref, so that it sees the newest data's maximum, not the first one's.
  const yMaxNow = useRef(yMax);
  yMaxNow.current = yMax;

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const width = Math.max(320, node.clientWidth);
    const opts: uPlot.Options = {
      width, height: wall ? 320 : 220,
      plugins: [bandsPlugin(() => latest.current)],
      // At least the last 10 minutes, up to now: a lone point or a quiet edge still gives a readable time axis.
      scales: { x: { time: true, range: (_u: uPlot, min: number | null) => { const now = Date.now() / 1000; return [Math.min(min ?? now, now - 600), now]; } }, y: { range: () => [0, yMaxNow.current] } },
      // 24-hour site time on the axis, as everywhere else on the dashboard.
      axes: [{ label: t('ui.charts.axisTime', { tz }), values: (_u: uPlot, ticks: number[]) => ticks.map((x) => clock(x * 1000, tz).slice(0, (ticks[1] ?? 0) - (ticks[0] ?? 0) < 60 ? 8 : 5)) }, { label: t('ui.charts.axisDensity'), size: 60 }],
      series: [{ label: t('ui.charts.axisTime', { tz }) }, { label: t('ui.charts.series'), stroke: '#0d47a1', width: 2, points: { show: true, size: 4 } }],
      legend: { show: true },
    };
    plot.current = new uPlot(opts, data, node);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(320, node.clientWidth), height: wall ? 320 : 220 }));
    ro.observe(node);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [zone.site, zone.camera, zone.zone, wall, tr().locale]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [zone.series.length, zone.latest?.t, zone.alarms.length]);

  const l = zone.latest;
  const s = useStore();
  const site = s.sites.find((x) => x.id === zone.site);
  const cam = site?.cameras.find((c: any) => c.id === zone.camera);
  const zoneName = nameOf(cam?.zones.find((z: any) => z.id === zone.zone), zone.name ?? zone.zone);
  return html`<figure class="chart" data-zone=${zone.zone}>
    <figcaption><strong>${zoneName}</strong> (${nameOf(site, zone.site)} · ◉ ${nameOf(cam, zone.camera)}) — ${t('ui.charts.now', { density: formatDensity(tr(), l?.density) })} <${LosBadge} los=${l?.los} /> ${l ? `${t('ui.charts.people', { n: Math.round(l.count) })} · ${losLabel(tr(), l.los)}` : t('ui.charts.noData')}${l?.trendPerMin != null ? ` · ${t('ui.charts.trend', { arrow: l.trendPerMin >= 0 ? '↑' : '↓', value: Math.abs(l.trendPerMin).toFixed(3) })}` : ''}
      · ${t('ui.charts.thresholds', { warning: String(zone.warningDensity), critical: String(zone.criticalDensity) })}${zone.alarms.length ? ` · ${t('ui.charts.alarms', { n: zone.alarms.length })}` : ''}</figcaption>
    <div ref=${el} class="chart-canvas" role="img" aria-label=${t('ui.charts.aria', { zone: zoneName })}></div>
  </figure>`;
}

export function ChartsView({ wall }: { wall: boolean }) {
  const s = useStore();
  const zones = s.zones.filter((z) => !s.filter.site || z.site === s.filter.site);
  const picture = may(s.user?.role ?? '', 'live.video');
  const pictures = s.cameras
    .filter((c) => c.crowd && (!s.filter.site || c.site === s.filter.site))
    .map((c) => {
      const site = s.sites.find((x) => x.id === c.site);
      const cam = site?.cameras.find((x: any) => x.id === c.camera);
      return html`<${CrowdPicture} key=${`${c.site}/${c.camera}`} site=${c.site} camera=${c.camera} cameraName=${nameOf(cam, c.camera)} crowd=${c.crowd} zones=${zoneFigures(cam, s.zones, c.site)} tz=${site?.timezone ?? 'UTC'} picture=${picture} />`;
    });
  return html`<section class="view charts" aria-labelledby="charts-title">
    <h2 id="charts-title">${t('ui.charts.title')}</h2>
    <p class="hint">${t('ui.charts.hint')}</p>
    ${pictures.length ? html`<h3 id="crowd-title">${t('ui.crowd.title')}</h3><div class="crowd-pictures">${pictures}</div>` : null}
    ${zones.length === 0 ? html`<p class="empty">${t('ui.charts.none')}</p>` : zones.map((z) => html`<${ZoneChart} key=${`${z.site}/${z.camera}/${z.zone}`} zone=${z} wall=${wall} tz=${s.sites.find((x) => x.id === z.site)?.timezone ?? 'UTC'} />`)}
  </section>`;
}
