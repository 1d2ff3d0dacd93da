import L from 'leaflet';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api, blobUrl, quietly } from '../api.ts';
import { loadSuppressions, useStore } from '../store.ts';
import { nameOf, t, tr } from '../i18n.ts';
import { cameraStatusLabel, formatDensity, formatDuration, kindLabel, losColour, losLabel, losTextColour, may, nearestUnits, OPEN_STATUSES, severityLabel, centroid, statusLabel, type Los } from '../logic.ts';
import { locateIncident } from './locate.ts';
import { StatusBadge, SeverityBadge, KindLabel, LiveView, placeLabel } from './common.ts';
import { ShelveForm } from './feed.ts';
import { unitName } from './incidents.ts';

/** Plan coordinates run x right, y down (as in the SVG); CRS.Simple's lat runs up. */
const toLatLng = (h: number, p: { x: number; y: number }): L.LatLngExpression => [h - p.y, p.x];
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A text marker centred on its point: Leaflet positions the (unstyled) icon, the inner box carries the look.
 * Class names carry statuses that edges report, so they are escaped like any text in `inner`.
 */
function icon(cls: string, inner: string, style = ''): L.DivIcon {
  return L.divIcon({ className: 'map-icon', iconSize: [0, 0], html: `<div class="map-label ${esc(cls.replace(/^map-label\s*/, ''))}"${style ? ` style="${esc(style)}"` : ''}>${inner}</div>` });
}

function readinessOf(u: any): { ready: boolean | null; text: string } {
  const r = u.readiness;
  if (!r) return { ready: null, text: t('ui.map.readinessUnknown') };
  return r.ready ? { ready: true, text: t('ui.map.ready') } : { ready: false, text: t('ui.map.notReady') };
}

/** A camera's panel on the map: its live picture for those allowed video, and shelving or maintenance for its alarms. */
function CameraPanel({ site, camera, onClose }: { site: any; camera: any; onClose: () => void }) {
  const s = useStore();
  const role = s.user?.role ?? '';
  const [shelving, setShelving] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const name = nameOf(camera, camera.id);
  const outOfService = s.suppressions.find((x) => x.type === 'out_of_service' && x.site === site.id && x.source === camera.id && !x.kind);
  const service = async (e: Event) => {
    e.preventDefault();
    try {
      if (outOfService) await api(`/api/suppressions/${encodeURIComponent(outOfService.id)}`, { method: 'DELETE' });
      else await api('/api/suppressions/out-of-service', { method: 'POST', json: { site: site.id, source: camera.id, reason } });
      setReason('');
      await loadSuppressions();
    } catch (err) { setError((err as Error).message); }
  };
  return html`<div class="camera-panel" data-camera-panel=${camera.id}>
    <h3>${t('ui.map.cameraPanel', { name })} <button class="btn small" onClick=${onClose}>${t('ui.close')}</button></h3>
    ${may(role, 'live.video') ? html`<${LiveView} site=${site.id} camera=${camera.id} title=${name} />${site.blurPersons ? html`<p class="hint">${t('ui.live.blurred')}</p>` : null}` : null}
    ${may(role, 'alarms.shelve') ? (shelving ? html`<${ShelveForm} site=${site.id} source=${camera.id} kind=${null} onDone=${() => setShelving(false)} />` : html`<button class="btn small" onClick=${() => setShelving(true)}>${t('ui.alarm.shelve')}</button>`) : null}
    ${may(role, 'sources.service') ? html`<form class="inline-form" onSubmit=${service}>
      ${outOfService ? null : html`<label>${t('ui.supp.oosReason')} <input value=${reason} required onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></label>`}
      <button class="btn small" type="submit" disabled=${!outOfService && !reason.trim()}>${outOfService ? t('ui.supp.return') : t('ui.supp.oos')}</button></form>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </div>`;
}

export function MapView() {
  const s = useStore();
  const [siteId, setSiteId] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [cameraId, setCameraId] = useState<string | null>(null);
  const el = useRef<HTMLDivElement>(null);
  const mapRef = useRef<{ map: L.Map; layers: L.LayerGroup; overlay: L.ImageOverlay | null; site: string } | null>(null);
  const site = s.sites.find((x) => x.id === siteId) ?? s.sites[0];
  const H = site?.map?.heightM ?? 100;
  const W = site?.map?.widthM ?? 160;
  const incidents = s.incidents.filter((i) => i.site === site?.id && OPEN_STATUSES.has(i.status));
  const siteName = nameOf(site, site?.id ?? '');

  // The map itself: created once per site (and language, for its controls), with the plan as an image overlay at its real size.
  useEffect(() => {
    if (!el.current || !site) return;
    const map = L.map(el.current, { crs: L.CRS.Simple, minZoom: -3, maxZoom: 4, zoomSnap: 0.25, attributionControl: false, keyboard: true, zoomControl: false });
    L.control.zoom({ zoomInTitle: t('ui.map.zoomIn'), zoomOutTitle: t('ui.map.zoomOut') }).addTo(map);
    const bounds: L.LatLngBoundsExpression = [[0, 0], [H, W]];
    map.fitBounds(bounds);
    const layers = L.layerGroup().addTo(map);
    const ref = { map, layers, overlay: null as L.ImageOverlay | null, site: site.id };
    mapRef.current = ref;
    if (site.map?.imageUrl) {
      blobUrl(site.map.imageUrl).then((url) => { if (mapRef.current === ref) { ref.overlay = L.imageOverlay(url, bounds, { alt: siteName }).addTo(map); ref.overlay.bringToBack(); } }, quietly('plan image load'));
    }
    const ro = new ResizeObserver(() => { map.invalidateSize(); });
    ro.observe(el.current);
    return () => { ro.disconnect(); map.remove(); mapRef.current = null; };
  }, [site?.id, s.locale]);

  // Everything on it, redrawn from the state on each change (a handful of features: cheaper than diffing).
  useEffect(() => {
    const m = mapRef.current;
    if (!m || !site) return;
    const tt = tr();
    m.layers.clearLayers();
    const oos = new Set(s.suppressions.filter((x) => x.type === 'out_of_service' && x.site === site.id && !x.kind).map((x) => x.source));
    for (const cam of site.cameras) {
      for (const z of cam.zones) {
        if (!z.map) continue;
        const live = s.zones.find((x) => x.site === site.id && x.camera === cam.id && x.zone === z.id);
        const los: Los | null = live?.latest?.los ?? null;
        const poly = L.polygon(z.map.map((p: [number, number]) => toLatLng(H, { x: p[0], y: p[1] })), {
          color: '#263238', weight: 2, fillColor: losColour(los), fillOpacity: los ? 0.45 : 0.15, dashArray: los ? undefined : '6 4',
        }).addTo(m.layers);
        poly.bindTooltip(`${esc(nameOf(z, z.id))}: ${esc(losLabel(tt, los))}, ${esc(formatDensity(tt, live?.latest?.density))}`);
        const c = centroid(z.map);
        const bottom = Math.max(...z.map.map((p: [number, number]) => p[1]));
        L.marker(toLatLng(H, { x: c.x, y: c.y + (bottom - c.y) * 0.6 }), {
          interactive: false, keyboard: false,
          icon: icon('map-label zone-label', `<span class="los-letter" style="background:${losColour(los)};color:${losTextColour(los)}">${los ?? '–'}</span><span class="zone-text">${esc(nameOf(z, z.id))}<br>${esc(formatDensity(tt, live?.latest?.density))}${live?.latest ? ` · ${esc(t('ui.map.people', { n: Math.round(live.latest.count) }))}` : ''}</span>`),
        }).addTo(m.layers);
      }
      if (cam.position) {
        const live = s.cameras.find((x) => x.site === site.id && x.camera === cam.id);
        const status = oos.has(cam.id) ? 'out_of_service' : live?.status ?? 'unknown';
        const label = t('ui.map.camera', { name: nameOf(cam, cam.id), status: cameraStatusLabel(tt, status) });
        const mk = L.marker(toLatLng(H, cam.position), {
          title: label, alt: label,
          icon: icon(`map-label cam cam-${status}`, `<span class="cam-icon">◉</span><span>${esc(nameOf(cam, cam.id))}<br><b>${esc(cameraStatusLabel(tt, status))}</b></span>`),
        }).addTo(m.layers);
        mk.on('click', () => setCameraId(cam.id));
      }
    }
    for (const sensor of site.sensors) {
      if (!sensor.position) continue;
      L.marker(toLatLng(H, sensor.position), { title: t('ui.map.sensor', { name: nameOf(sensor, sensor.id) }), icon: icon('map-label sensor', `◈ ${esc(nameOf(sensor, sensor.id))}`) }).addTo(m.layers);
    }
    for (const u of s.units.filter((x) => (x.site ?? site.id) === site.id)) {
      const r = readinessOf(u);
      const name = unitName(s.sites, u.id);
      const status = tt.lookup(`unitStatus.${u.status}`) ?? String(u.status);
      L.marker(toLatLng(H, u.position), {
        title: t('ui.map.unit', { name, status }), alt: t('ui.units.label', { name }),
        icon: icon(`map-label unit unit-${u.status} ${r.ready === false ? 'unready' : ''}`, `<span class="unit-icon">✚</span><span>${esc(name.split(/\s+[—-]\s+|（/)[0])}<br><b>${esc(status)}</b> ${r.ready === null ? '' : r.ready ? '✔' : '✖'}</span>`),
      }).addTo(m.layers);
    }
    // Incidents often share a spot (one zone, one camera): one marker per spot lists them, worst first, and it
    // sits above a camera's own label rather than on it. Clicking cycles through the incidents there.
    const spot = (p: { x: number; y: number }) => `${Math.round(p.x)}:${Math.round(p.y)}`;
    const cameraSpots = new Set(site.cameras.filter((c: any) => c.position).map((c: any) => spot(c.position)));
    const groups = new Map<string, { at: { x: number; y: number }; list: any[] }>();
    for (const inc of incidents) {
      const at = locateIncident(site, inc, s.alarms);
      if (!at) continue;
      const g = groups.get(spot(at)) ?? { at, list: [] };
      g.list.push(inc);
      groups.set(spot(at), g);
    }
    const RANK: Record<string, number> = { critical: 2, warning: 1, info: 0 };
    for (const [key, g] of groups) {
      g.list.sort((a, b) => (RANK[b.severity] ?? 0) - (RANK[a.severity] ?? 0) || b.openedAt.localeCompare(a.openedAt));
      const top = g.list[0];
      const isSel = g.list.some((i) => i.id === selected);
      const lines = g.list.length === 1
        ? `${esc(kindLabel(tt, top.kind))}<br><b>${esc(severityLabel(tt, top.severity))}</b> · ${esc(statusLabel(tt, top.status))}`
        : `<b>${esc(t('ui.map.incidents', { n: g.list.length, severity: severityLabel(tt, top.severity) }))}</b><br>${g.list.slice(0, 3).map((i) => esc(kindLabel(tt, i.kind))).join('、')}${g.list.length > 3 ? '…' : ''}`;
      const mk = L.marker(toLatLng(H, g.at), {
        title: g.list.map((i) => t('ui.map.incident', { kind: kindLabel(tt, i.kind), severity: severityLabel(tt, i.severity), status: statusLabel(tt, i.status) })).join('; '), alt: t('ui.map.incidents', { n: g.list.length, severity: severityLabel(tt, top.severity) }), zIndexOffset: 1000,
        icon: icon(`map-label incident sev-${top.severity} ${isSel ? 'selected' : ''}`, `<span class="inc-icon">⚠</span><span>${lines}</span>`, `--stack:${cameraSpots.has(key) ? 1 : 0}`),
      }).addTo(m.layers);
      const pick = () => {
        const at = g.list.findIndex((i) => i.id === selected);
        setSelected(g.list[(at + 1) % g.list.length].id);
      };
      mk.on('click', pick);
    }
  }, [site, s.zones, s.cameras, s.units, s.incidents, s.alarms, s.suppressions, selected, s.locale]);

  const sel = incidents.find((i) => i.id === selected) ?? null;
  const selAt = sel ? locateIncident(site, sel, s.alarms) : null;
  const near = selAt ? nearestUnits(s.units.filter((u) => (u.site ?? site.id) === site.id), selAt, 1.5, (id) => s.units.find((u) => u.id === id)?.speed) : [];
  const camera = site?.cameras.find((c: any) => c.id === cameraId);

  return html`<section class="view map-view" aria-labelledby="map-title">
    <h2 id="map-title">${t('ui.map.title')} ${s.sites.length > 1 ? html`<select aria-label=${t('ui.map.site')} value=${site?.id} onChange=${(e: Event) => { setSiteId((e.target as HTMLSelectElement).value); setSelected(null); setCameraId(null); }}>${s.sites.map((x) => html`<option value=${x.id}>${nameOf(x, x.id)}</option>`)}</select>` : html`<span class="sub">${siteName}</span>`}</h2>
    <div class="map-layout">
      <div class="map" ref=${el} role="application" aria-label=${t('ui.map.aria', { site: siteName, w: W, h: H })}></div>
      <aside class="map-side" aria-label=${t('ui.map.openIncidentsLabel')}>
        ${camera ? html`<${CameraPanel} site=${site} camera=${camera} onClose=${() => setCameraId(null)} />` : null}
        <h3>${t('ui.map.openIncidents', { n: incidents.length })}</h3>
        <ul class="plain inc-pick">${incidents.map((i) => html`<li><button class=${'btn inc-btn' + (i.id === selected ? ' active' : '')} data-incident-id=${i.id} aria-pressed=${i.id === selected} onClick=${() => setSelected(i.id)}>
          <${SeverityBadge} severity=${i.severity} /> <${KindLabel} kind=${i.kind} /> ${i.zone ? `· ${placeLabel(site, i)}` : ''} <${StatusBadge} status=${i.status} /></button></li>`)}</ul>
        ${sel ? html`<div class="nearest" aria-live="polite">
          <h3>${t('ui.map.nearestTo', { what: `${kindLabel(tr(), sel.kind)}${sel.zone ? ` · ${placeLabel(site, sel)}` : ''}` })} <a href=${'#/incidents/' + sel.id}>→</a></h3>
          ${selAt ? html`<ol class="near-list">${near.map((n) => { const r = readinessOf(n.unit); return html`<li class=${'near unit-' + n.unit.status}>
            <strong>${unitName(s.sites, n.unit.id)}</strong> <${StatusBadge} status=${n.unit.status} kind="unit" /> ${r.ready === null ? '' : html`<span class=${r.ready ? 'ok' : 'warn'}>${r.text}</span>`}
            <div>${t('ui.near.item', { distance: Math.round(n.distance), eta: formatDuration(tr(), n.etaS * 1000) })}</div></li>`; })}</ol>` : html`<p>${t('ui.map.noPlace')}</p>`}
        </div>` : html`<p class="hint">${t('ui.map.selectHint')}</p>`}
        <${EdgeHealth} edges=${s.edges.filter((e) => e.site === site?.id)} />
        <${Legend} />
      </aside>
    </div>
  </section>`;
}

/** The edges' own health from their heartbeats: link, outbox backlog, warnings (an edge's own words, as data). */
function EdgeHealth({ edges }: { edges: any[] }) {
  if (!edges.length) return html`<p class="hint">${t('ui.edges.none')}</p>`;
  return html`<div class="edges"><h3>${t('ui.edges.title')}</h3><ul class="plain">${edges.map((e) => html`<li class=${e.stale || e.link === 'down' || e.warnings.length ? 'warn' : 'ok'} data-edge=${e.edge}>
    ${e.stale ? t('ui.edges.silent') : e.link === 'down' ? t('ui.edges.down') : t('ui.edges.up')} <strong>${e.edge}</strong>${e.outboxDepth != null ? ` · ${t('ui.edges.outbox', { n: e.outboxDepth })}` : ''}${e.warnings.length ? ` · ⚠ ${e.warnings.join('; ')}` : ''}</li>`)}</ul></div>`;
}

function Legend() {
  return html`<details class="legend" open><summary>${t('ui.legend.title')}</summary>
    <ul class="plain">${(['A', 'B', 'C', 'D', 'E', 'F'] as Los[]).map((l) => html`<li><span class="los-letter" style=${{ background: losColour(l), color: losTextColour(l) }}>${l}</span> ${losLabel(tr(), l)}</li>`)}
    <li><span class="los-letter nodata">–</span> ${t('ui.legend.noData')}</li>
    <li>${t('ui.legend.camera')}</li><li>${t('ui.legend.unit')}</li><li>${t('ui.legend.incident')}</li></ul></details>`;
}
