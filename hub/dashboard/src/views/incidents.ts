import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api } from '../api.ts';
import { useStore, loadIncidents, getState } from '../store.ts';
import { ACTION_LABEL, actionsFor, countdown, formatAge, formatClock, formatDuration, kindLabel, mayDispatch, nearestUnits, OPEN_STATUSES, statusLabel, formatDensity } from '../logic.ts';
import { KindLabel, SeverityBadge, Snapshot, StatusBadge } from './common.ts';
import { locateIncident } from './locate.ts';
import { ReportForms } from './reports.ts';

const COLUMNS: { title: string; statuses: string[] }[] = [
  { title: 'New', statuses: ['open'] },
  { title: 'Acknowledged', statuses: ['acknowledged'] },
  { title: 'Dispatched / on scene', statuses: ['dispatched', 'on_scene'] },
  { title: 'Resolved / false alarm', statuses: ['resolved', 'false_alarm', 'cancelled'] },
];

export function BoardView() {
  const s = useStore();
  const [showClosed, setShowClosed] = useState(false);
  const inSite = s.incidents.filter((i) => !s.filter.site || i.site === s.filter.site);
  return html`<section class="view board" aria-labelledby="board-title">
    <h2 id="board-title">Incidents <span class="count">${inSite.filter((i) => OPEN_STATUSES.has(i.status)).length} open</span>
      <label class="inline"><input type="checkbox" checked=${showClosed} onChange=${() => setShowClosed(!showClosed)} /> show closed</label></h2>
    <div class="columns">${[...COLUMNS, ...(showClosed ? [{ title: 'Closed', statuses: ['closed'] }] : [])].map((col) => {
      const list = inSite.filter((i) => col.statuses.includes(i.status));
      return html`<div class="column" role="region" aria-label=${col.title}><h3>${col.title} (${list.length})</h3>
        <ul class="plain">${list.map((i) => html`<li><a class=${'card sev-row-' + i.severity} href=${'#/incidents/' + i.id} data-incident-id=${i.id}>
          <div><${SeverityBadge} severity=${i.severity} /> <${StatusBadge} status=${i.status} /></div>
          <div class="card-title"><${KindLabel} kind=${i.kind} /></div>
          <div class="card-meta">${i.site}${i.zone ? ` · ${i.zone}` : ''} · ${i.alarmCount} alarm${i.alarmCount === 1 ? '' : 's'}${i.peakDensity != null ? ` · peak ${formatDensity(i.peakDensity)}` : ''}</div>
          <div class="card-meta">opened ${formatAge(Date.parse(i.openedAt), s.now)}${i.escalationLevel ? ` · escalated ×${i.escalationLevel}` : ''}</div>
          ${OPEN_STATUSES.has(i.status) ? (() => { const c = countdown(Date.parse(i.openedAt) + 3600_000, s.now); return html`<div class=${'card-meta' + (c.overdue ? ' due-overdue' : '')}>first report ${c.text}</div>`; })() : null}
        </a></li>`)}</ul></div>`;
    })}</div>
  </section>`;
}

/** "incident.transition open → acknowledged": the audit data says what changed. */
function auditText(e: any): string {
  const d = e.data ?? {};
  return d.from && d.to ? `${e.action}: ${statusLabel(d.from)} → ${statusLabel(d.to)}` : d.unit ? `${e.action}: ${d.unit}` : e.action;
}

function time(iso: string | null | undefined, tz: string): string {
  return iso ? formatClock(Date.parse(iso), tz) : '—';
}

export function IncidentDetail({ id }: { id: string }) {
  const s = useStore();
  const [detail, setDetail] = useState<any>(null);
  const [dispatches, setDispatches] = useState<any[] | null>(null);
  const [candidates, setCandidates] = useState<any[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const rev = s.incidentRev[id] ?? 0;

  const reload = async () => {
    try {
      setDetail(await api(`/api/incidents/${encodeURIComponent(id)}`));
      setError(null);
    } catch (err) { setError((err as Error).message); }
    try {
      const d = await api<any>(`/api/dispatches?incident=${encodeURIComponent(id)}`);
      setDispatches(d.dispatches ?? []);
    } catch { setDispatches(null); }
    if (mayDispatch(getState().user?.role ?? '')) {
      // The hub's own ranking (ready, available units by ETA) when dispatch runs; else the map's straight-line order.
      try { setCandidates((await api<any>(`/api/dispatches/candidates?incident=${encodeURIComponent(id)}`)).candidates); } catch { setCandidates(null); }
    }
  };
  useEffect(() => { void reload(); }, [id, rev]);

  if (!detail) return html`<section class="view"><p>${error ?? 'Loading incident…'}</p><a href="#/incidents">← all incidents</a></section>`;
  const inc = detail.incident;
  const role = s.user?.role ?? '';
  const site = s.sites.find((x) => x.id === inc.site);
  const tz = site?.timezone ?? 'UTC';

  const act = async (to: string) => {
    setBusy(true);
    try {
      await api(`/api/incidents/${encodeURIComponent(id)}/transition`, { method: 'POST', json: { to, ...(note.trim() ? { note: note.trim() } : {}) } });
      setNote('');
      await reload();
      void loadIncidents();
    } catch (err) { setError((err as Error).message); }
    setBusy(false);
  };
  const dispatchUnit = async (unit: string) => {
    setBusy(true);
    try {
      await api('/api/dispatches', { method: 'POST', json: { incident: id, units: [unit] } });
      await reload();
      void loadIncidents();
    } catch (err) { setError((err as Error).message); }
    setBusy(false);
  };
  const report = async (dispatchId: string, step: string) => {
    try { await api(`/api/dispatches/${encodeURIComponent(dispatchId)}/${step}`, { method: 'POST', json: {} }); await reload(); } catch (err) { setError((err as Error).message); }
  };
  const addNote = async () => {
    if (!note.trim()) return;
    try { await api(`/api/incidents/${encodeURIComponent(id)}/notes`, { method: 'POST', json: { note: note.trim() } }); setNote(''); await reload(); } catch (err) { setError((err as Error).message); }
  };

  const actions = actionsFor(inc.status, role);
  const at = locateIncident(site, inc, detail.alarms.map((a: any) => ({ ...a, incidentId: inc.id })));
  const dispatchedUnits = new Set((dispatches ?? []).map((d) => d.unit ?? d.unitId));
  const canSend = mayDispatch(role) && OPEN_STATUSES.has(inc.status);
  const near = !canSend ? [] : candidates
    ? candidates.filter((c) => !dispatchedUnits.has(c.unit)).slice(0, 5).map((c) => ({ unit: { ...(s.units.find((u) => u.id === c.unit) ?? {}), id: c.unit, name: c.name, status: 'available' }, distance: c.distance, etaS: c.etaS }))
    : at ? nearestUnits(s.units.filter((u) => (u.site ?? inc.site) === inc.site && !dispatchedUnits.has(u.id)), at, 1.5, (uid) => s.units.find((u) => u.id === uid)?.speed).slice(0, 5) : [];
  const snaps = detail.alarms.filter((a: any) => a.alarm?.snapshot).slice(-6);

  return html`<section class="view detail" aria-labelledby="inc-title">
    <a href="#/incidents" class="back">← all incidents</a>
    <h2 id="inc-title"><${SeverityBadge} severity=${inc.severity} /> ${inc.title} <${StatusBadge} status=${inc.status} /></h2>
    <p class="meta">${kindLabel(inc.kind)} · ${site?.name ?? inc.site}${inc.zone ? ` · zone ${inc.zone}` : ''} · opened ${time(inc.openedAt, tz)} (${formatAge(Date.parse(inc.openedAt), s.now)}) · ${inc.alarmCount} alarms${inc.peakDensity != null ? ` · peak ${formatDensity(inc.peakDensity)}` : ''}${inc.clearedAt ? ` · cleared ${time(inc.clearedAt, tz)}` : ''}</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="actions" role="group" aria-label="Incident actions">
      ${actions.map((to) => html`<button class=${'btn action action-' + to} data-action=${to} disabled=${busy} onClick=${() => act(to)}>${ACTION_LABEL[to] ?? statusLabel(to)}</button>`)}
      ${actions.length === 0 ? html`<span class="hint">No actions for your role (${role}) in status ${statusLabel(inc.status)}.</span>` : null}
      <label class="note">Note <input value=${note} onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)} placeholder="optional note for the audit log" /></label>
      ${role !== 'engineer' ? html`<button class="btn" onClick=${addNote} disabled=${!note.trim()}>Add note</button>` : null}
    </div>
    <div class="detail-grid">
      <div>
        <h3>Snapshots</h3>
        <div class="snaps">${snaps.length ? snaps.map((a: any) => html`<figure><${Snapshot} snap=${a.alarm.snapshot} alt=${`${kindLabel(a.kind)} ${time(a.capturedAt, tz)}`} large=${true} /><figcaption>${time(a.capturedAt, tz)} · ${a.state}</figcaption></figure>`) : html`<p class="empty">No snapshots.</p>`}</div>
        <h3>Dispatched units</h3>
        ${dispatches === null ? html`<p class="hint">Dispatch records are not available.</p>` : dispatches.length === 0 ? html`<p class="empty">No unit dispatched yet.</p>` : html`<table class="table dispatches"><thead><tr><th>Unit</th><th>State</th><th>Ordered</th><th>Ack</th><th>En route</th><th>On scene</th></tr></thead><tbody>
          ${dispatches.map((d) => {
            const unitName = s.units.find((u) => u.id === d.unit)?.name ?? d.unit;
            const mine = role === 'commander' || role === 'admin' || (role === 'unit' && s.user?.unit === d.unit);
            const step = d.onSceneAt ? null : d.enRouteAt ? ['on_scene', 'On scene'] : d.ackedAt ? ['en_route', 'En route'] : ['ack', 'Acknowledge'];
            const live = !d.closedAt && !['declined', 'not_responding', 'released', 'cancelled', 'closed', 'replaced'].includes(d.state);
            return html`<tr data-dispatch-unit=${d.unit}><td>${unitName}${d.etaS != null ? html`<div class="hint">ETA ${formatDuration(d.etaS * 1000)}${d.onSceneBy ? ` · on scene by ${time(d.onSceneBy, tz)}` : ''}</div>` : null}</td>
              <td><${StatusBadge} status=${d.state ?? '—'} />${mine && live && step ? html` <button class="btn small" data-dispatch-step=${step[0]} onClick=${() => report(d.id, step[0]!)}>${step[1]}</button>` : null}</td>
              <td>${time(d.orderedAt, tz)}</td><td>${time(d.ackedAt, tz)}</td><td>${time(d.enRouteAt, tz)}</td><td>${time(d.onSceneAt, tz)}</td></tr>`;
          })}
        </tbody></table>`}
        ${near.length ? html`<h3>Nearest available units</h3><ol class="near-list">${near.map((n) => html`<li><strong>${n.unit.name}</strong> <${StatusBadge} status=${n.unit.status} /> · ${Math.round(n.distance)} m · ETA ${formatDuration(n.etaS * 1000)}
          <button class="btn small" data-dispatch=${n.unit.id} disabled=${busy || (n.unit.status && n.unit.status !== 'available')} onClick=${() => dispatchUnit(n.unit.id)}>Dispatch</button></li>`)}</ol>` : null}
        <${ReportForms} incident=${inc} role=${role} now=${s.now} />
      </div>
      <div>
        <h3>Timeline</h3>
        <ol class="timeline">${detail.timeline.map((e: any) => e.type === 'alarm'
          ? html`<li class="tl-alarm"><time>${time(e.at, tz)}</time> <${SeverityBadge} severity=${e.alarm.severity} /> <${KindLabel} kind=${e.alarm.kind} /> ${e.alarm.state} · ◉ ${e.alarm.camera}${e.alarm.density != null ? ` · ${formatDensity(e.alarm.density)}` : ''}${e.alarm.message ? ` — ${e.alarm.message}` : ''}</li>`
          : html`<li class="tl-audit"><time>${time(e.at, tz)}</time> <strong>${auditText(e.audit)}</strong> by ${e.audit.actor}${e.audit.note ? ` — “${e.audit.note}”` : ''}</li>`)}</ol>
        <h3>Audit log</h3>
        <table class="table audit"><thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Note</th></tr></thead><tbody>
          ${detail.audit.map((e: any) => html`<tr><td>${time(e.at, tz)}</td><td>${e.actor}</td><td>${auditText(e)}</td><td>${e.note ?? ''}</td></tr>`)}
        </tbody></table>
      </div>
    </div>
  </section>`;
}

