import L from 'leaflet';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { blobUrl, quietly } from '../api.ts';
import { useStore } from '../store.ts';
import { cameraStatusLabel, formatDensity, formatDuration, kindLabel, losColour, losLabel, losTextColour, nearestUnits, OPEN_STATUSES, severityLabel, centroid, type Los } from '../logic.ts';
import { locateIncident } from './locate.ts';
import { StatusBadge, SeverityBadge, KindLabel } from './common.ts';

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
  if (!r) return { ready: null, text: 'readiness unknown' };
  return r.ready ? { ready: true, text: '✔ ready' } : { ready: false, text: `✖ not ready: ${(r.reasons ?? []).join('; ')}` };
}

export function MapView() {
  const s = useStore();
  const [siteId, setSiteId] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const el = useRef<HTMLDivElement>(null);
  const mapRef = useRef<{ map: L.Map; layers: L.LayerGroup; overlay: L.ImageOverlay | null; site: string } | null>(null);
  const site = s.sites.find((x) => x.id === siteId) ?? s.sites[0];
  const H = site?.map?.heightM ?? 100;
  const W = site?.map?.widthM ?? 160;
  const incidents = s.incidents.filter((i) => i.site === site?.id && OPEN_STATUSES.has(i.status));

  // The map itself: created once per site, with the plan as an image overlay at its real size.
  useEffect(() => {
    if (!el.current || !site) return;
    const map = L.map(el.current, { crs: L.CRS.Simple, minZoom: -3, maxZoom: 4, zoomSnap: 0.25, attributionControl: false, keyboard: true });
    const bounds: L.LatLngBoundsExpression = [[0, 0], [H, W]];
    map.fitBounds(bounds);
    const layers = L.layerGroup().addTo(map);
    const ref = { map, layers, overlay: null as L.ImageOverlay | null, site: site.id };
    mapRef.current = ref;
    if (site.map?.imageUrl) {
      blobUrl(site.map.imageUrl).then((url) => { if (mapRef.current === ref) { ref.overlay = L.imageOverlay(url, bounds, { alt: `${site.name} plan` }).addTo(map); ref.overlay.bringToBack(); } }, quietly('plan image load'));
    }
    const ro = new ResizeObserver(() => { map.invalidateSize(); });
    ro.observe(el.current);
    return () => { ro.disconnect(); map.remove(); mapRef.current = null; };
  }, [site?.id]);

  // Everything on it, redrawn from the state on each change (a handful of features: cheaper than diffing).
  useEffect(() => {
    const m = mapRef.current;
    if (!m || !site) return;
    m.layers.clearLayers();
    for (const cam of site.cameras) {
      for (const z of cam.zones) {
        if (!z.map) continue;
        const live = s.zones.find((x) => x.site === site.id && x.camera === cam.id && x.zone === z.id);
        const los: Los | null = live?.latest?.los ?? null;
        const poly = L.polygon(z.map.map((p: [number, number]) => toLatLng(H, { x: p[0], y: p[1] })), {
          color: '#263238', weight: 2, fillColor: losColour(los), fillOpacity: los ? 0.45 : 0.15, dashArray: los ? undefined : '6 4',
        }).addTo(m.layers);
        poly.bindTooltip(`${esc(z.name)}: ${esc(losLabel(los))}, ${esc(formatDensity(live?.latest?.density))}`);
        const c = centroid(z.map);
        const bottom = Math.max(...z.map.map((p: [number, number]) => p[1]));
        L.marker(toLatLng(H, { x: c.x, y: c.y + (bottom - c.y) * 0.6 }), {
          interactive: false, keyboard: false,
          icon: icon('map-label zone-label', `<span class="los-letter" style="background:${losColour(los)};color:${losTextColour(los)}">${los ?? '–'}</span><span class="zone-text">${esc(z.name)}<br>${esc(formatDensity(live?.latest?.density))}${live?.latest ? ` · ${Math.round(live.latest.count)} people` : ''}</span>`),
        }).addTo(m.layers);
      }
      if (cam.position) {
        const live = s.cameras.find((x) => x.site === site.id && x.camera === cam.id);
        const status = live?.status ?? 'unknown';
        L.marker(toLatLng(H, cam.position), {
          title: `Camera ${cam.name}: ${status}`, alt: `Camera ${cam.name}: ${status}`,
          icon: icon(`map-label cam cam-${status}`, `<span class="cam-icon">◉</span><span>${esc(cam.id)}<br><b>${esc(cameraStatusLabel(status))}</b></span>`),
        }).addTo(m.layers);
      }
    }
    for (const sensor of site.sensors) {
      if (!sensor.position) continue;
      L.marker(toLatLng(H, sensor.position), { title: `Sensor ${sensor.name}`, icon: icon('map-label sensor', `◈ ${esc(sensor.name)}`) }).addTo(m.layers);
    }
    for (const u of s.units.filter((x) => (x.site ?? site.id) === site.id)) {
      const r = readinessOf(u);
      L.marker(toLatLng(H, u.position), {
        title: `Unit ${u.name}: ${u.status}`, alt: `Unit ${u.name}`,
        icon: icon(`map-label unit unit-${u.status} ${r.ready === false ? 'unready' : ''}`, `<span class="unit-icon">✚</span><span>${esc(u.name.split(/\s+[—-]\s+/)[0])}<br><b>${esc(String(u.status).replace(/_/g, ' '))}</b> ${r.ready === null ? '' : r.ready ? '✔' : '✖'}</span>`),
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
        ? `${esc(kindLabel(top.kind))}<br><b>${esc(severityLabel(top.severity))}</b> · ${esc(top.status.replace(/_/g, ' '))}`
        : `<b>${g.list.length} incidents</b> · worst ${esc(severityLabel(top.severity))}<br>${g.list.slice(0, 3).map((i) => esc(kindLabel(i.kind))).join(', ')}${g.list.length > 3 ? ', …' : ''}`;
      const mk = L.marker(toLatLng(H, g.at), {
        title: g.list.map((i) => `Incident: ${kindLabel(i.kind)} (${i.severity}, ${i.status})`).join('; '), alt: `${g.list.length} incident(s)`, zIndexOffset: 1000,
        icon: icon(`map-label incident sev-${top.severity} ${isSel ? 'selected' : ''}`, `<span class="inc-icon">⚠</span><span>${lines}</span>`, `--stack:${cameraSpots.has(key) ? 1 : 0}`),
      }).addTo(m.layers);
      const pick = () => {
        const at = g.list.findIndex((i) => i.id === selected);
        setSelected(g.list[(at + 1) % g.list.length].id);
      };
      mk.on('click', pick);
    }
  }, [site, s.zones, s.cameras, s.units, s.incidents, s.alarms, selected]);

  const sel = incidents.find((i) => i.id === selected) ?? null;
  const selAt = sel ? locateIncident(site, sel, s.alarms) : null;
  const near = selAt ? nearestUnits(s.units.filter((u) => (u.site ?? site.id) === site.id), selAt, 1.5, (id) => s.units.find((u) => u.id === id)?.speed) : [];

  return html`<section class="view map-view" aria-labelledby="map-title">
    <h2 id="map-title">Site map ${s.sites.length > 1 ? html`<select aria-label="Site" value=${site?.id} onChange=${(e: Event) => { setSiteId((e.target as HTMLSelectElement).value); setSelected(null); }}>${s.sites.map((x) => html`<option value=${x.id}>${x.name}</option>`)}</select>` : html`<span class="sub">${site?.name ?? ''}</span>`}</h2>
    <div class="map-layout">
      <div class="map" ref=${el} role="application" aria-label=${`Plan of ${site?.name ?? 'the site'}, ${W} by ${H} metres`}></div>
      <aside class="map-side" aria-label="Open incidents">
        <h3>Open incidents (${incidents.length})</h3>
        <ul class="plain inc-pick">${incidents.map((i) => html`<li><button class=${'btn inc-btn' + (i.id === selected ? ' active' : '')} data-incident-id=${i.id} aria-pressed=${i.id === selected} onClick=${() => setSelected(i.id)}>
          <${SeverityBadge} severity=${i.severity} /> <${KindLabel} kind=${i.kind} /> ${i.zone ? `· ${i.zone}` : ''} <${StatusBadge} status=${i.status} /></button></li>`)}</ul>
        ${sel ? html`<div class="nearest" aria-live="polite">
          <h3>Nearest units to <a href=${'#/incidents/' + sel.id}>${kindLabel(sel.kind)}${sel.zone ? ` · ${sel.zone}` : ''}</a></h3>
          ${selAt ? html`<ol class="near-list">${near.map((n) => { const r = readinessOf(n.unit); return html`<li class=${'near unit-' + n.unit.status}>
            <strong>${n.unit.name}</strong> <${StatusBadge} status=${n.unit.status} /> ${r.ready === null ? '' : html`<span class=${r.ready ? 'ok' : 'warn'}>${r.ready ? '✔ ready' : '✖ not ready'}</span>`}
            <div>${Math.round(n.distance)} m · ETA ${formatDuration(n.etaS * 1000)}</div></li>`; })}</ol>` : html`<p>This incident has no place on the plan.</p>`}
        </div>` : html`<p class="hint">Select an incident (on the map or in this list) to see the nearest units with their ETA.</p>`}
        <${EdgeHealth} edges=${s.edges.filter((e) => e.site === site?.id)} />
        <${Legend} />
      </aside>
    </div>
  </section>`;
}

/** The edges' own health from their heartbeats: link, outbox backlog, warnings. */
function EdgeHealth({ edges }: { edges: any[] }) {
  if (!edges.length) return html`<p class="hint">No edge heartbeat received yet.</p>`;
  return html`<div class="edges"><h3>Edges</h3><ul class="plain">${edges.map((e) => html`<li class=${e.stale || e.link === 'down' || e.warnings.length ? 'warn' : 'ok'} data-edge=${e.edge}>
    ${e.stale ? '? silent' : e.link === 'down' ? '✖ link down' : '✔ up'} <strong>${e.edge}</strong>${e.outboxDepth != null ? ` · outbox ${e.outboxDepth}` : ''}${e.warnings.length ? ` · ⚠ ${e.warnings.join('; ')}` : ''}</li>`)}</ul></div>`;
}

function Legend() {
  return html`<details class="legend" open><summary>Legend</summary>
    <ul class="plain">${(['A', 'B', 'C', 'D', 'E', 'F'] as Los[]).map((l) => html`<li><span class="los-letter" style=${{ background: losColour(l), color: losTextColour(l) }}>${l}</span> ${losLabel(l)}</li>`)}
    <li><span class="los-letter nodata">–</span> no density data</li>
    <li>◉ camera (✔ ok, ✖ offline, ❄ frozen, ⚠ tamper, ? no heartbeat)</li><li>✚ unit (✔ ready, ✖ not ready)</li><li>⚠ open incident</li></ul></details>`;
}
