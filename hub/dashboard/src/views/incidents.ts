import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api } from '../api.ts';
import { useStore, loadIncidents, loadEscalations, getState } from '../store.ts';
import { clock, nameOf, t, tr, type MessageKey } from '../i18n.ts';
import { actionLabel, actionsFor, countdown, formatAge, formatDensity, formatDuration, kindLabel, may, mayDispatch, nearestUnits, OPEN_STATUSES, statusLabel } from '../logic.ts';
import { alarmMessage, planLevelLabel } from '../../../i18n/describe.ts';
import { KindLabel, LiveView, SeverityBadge, Snapshot, StatusBadge, placeLabel } from './common.ts';
import { locateIncident } from './locate.ts';
import { ReportForms } from './reports.ts';

const COLUMNS: { title: MessageKey; statuses: string[] }[] = [
  { title: 'ui.board.col.open', statuses: ['open'] },
  { title: 'ui.board.col.acknowledged', statuses: ['acknowledged'] },
  { title: 'ui.board.col.dispatched', statuses: ['dispatched', 'on_scene'] },
  { title: 'ui.board.col.done', statuses: ['resolved', 'false_alarm', 'cancelled'] },
];
const PLAN_LEVELS = ['I', 'II', 'III', 'IV'] as const;

/** A unit's name in the reader's language, from the site's config. */
export function unitName(sites: any[], id: string): string {
  for (const s of sites) { const u = s.units?.find((x: any) => x.id === id); if (u) return nameOf(u, id); }
  return id;
}

export function BoardView() {
  const s = useStore();
  const [showClosed, setShowClosed] = useState(false);
  const inSite = s.incidents.filter((i) => !s.filter.site || i.site === s.filter.site);
  const escalated = new Set(s.escalations.map((e) => e.incident.id));
  return html`<section class="view board" aria-labelledby="board-title">
    <h2 id="board-title">${t('ui.board.title')} <span class="count">${t('ui.board.open', { n: inSite.filter((i) => OPEN_STATUSES.has(i.status)).length })}</span>
      <label class="inline"><input type="checkbox" checked=${showClosed} onChange=${() => setShowClosed(!showClosed)} /> ${t('ui.board.showClosed')}</label></h2>
    <div class="columns">${[...COLUMNS, ...(showClosed ? [{ title: 'ui.board.col.closed' as MessageKey, statuses: ['closed'] }] : [])].map((col) => {
      const list = inSite.filter((i) => col.statuses.includes(i.status));
      return html`<div class="column" role="region" aria-label=${t(col.title)}><h3>${t(col.title)} (${list.length})</h3>
        <ul class="plain">${list.map((i) => {
          const site = s.sites.find((x) => x.id === i.site);
          const activated = i.plan?.state === 'activated';
          const firstDue = activated ? Date.parse(i.plan.activatedAt) + 3600_000 : null;
          return html`<li><a class=${'card sev-row-' + i.severity + (escalated.has(i.id) ? ' escalated' : '')} href=${'#/incidents/' + i.id} data-incident-id=${i.id}>
          <div><${SeverityBadge} severity=${i.severity} /> <${StatusBadge} status=${i.status} />${i.assignedRole === 'engineer' ? html` <span class="badge role-engineer">${t('ui.board.engineers')}</span>` : null}</div>
          <div class="card-title"><${KindLabel} kind=${i.kind} /></div>
          <div class="card-meta">${nameOf(site, i.site)}${i.zone ? ` · ${placeLabel(site, i)}` : ''} · ${t('ui.card.alarms', { n: i.alarmCount })}${i.peakDensity != null ? ` · ${t('ui.card.peak', { density: formatDensity(tr(), i.peakDensity) })}` : ''}</div>
          <div class="card-meta">${t('ui.card.opened', { age: formatAge(tr(), Date.parse(i.openedAt), s.now) })}${i.escalationLevel ? ` · ${t('ui.card.escalated', { n: i.escalationLevel })}` : ''}${!i.ackedAt && OPEN_STATUSES.has(i.status) ? ` · ${t('ui.card.unacked')}` : ''}</div>
          <div class=${'card-meta plan-' + (activated ? 'activated' : 'raised')}>${activated ? t('ui.card.activated', { level: planLevelLabel(tr(), i.plan.level) }) : t('ui.card.notActivated')}</div>
          ${activated && OPEN_STATUSES.has(i.status) ? (() => { const c = countdown(tr(), firstDue!, s.now); return html`<div class=${'card-meta' + (c.overdue ? ' due-overdue' : '')}>${t('ui.card.report', { countdown: c.text })}</div>`; })() : null}
        </a></li>`;
        })}</ul></div>`;
    })}</div>
  </section>`;
}

/** An audit entry in the reader's language: its action from the catalogue, with what the entry's data says. */
function auditText(e: any, sites: any[]): string {
  const d = e.data ?? {};
  const tt = tr();
  const params = {
    from: d.from ? (tt.lookup(`status.${d.from}`) ?? tt.lookup(`severity.${d.from}`) ?? d.from) : '',
    to: d.to ? (tt.lookup(`status.${d.to}`) ?? tt.lookup(`severity.${d.to}`) ?? d.to) : '',
    level: planLevelLabel(tt, d.level ?? d.to),
    unit: d.unit ? unitName(sites, d.unit) : '',
  };
  return tt.lookup(`audit.${e.action}`, params) ?? e.action;
}

/** System notes are written in English for the logs; in another language the localised action says it. */
const showNote = (e: any) => e.note && (tr().locale === 'en' || !String(e.actor).startsWith('system:'));

/** The emergency plan on this incident: alarm raised until a commander activates it; then the level and the on-scene clock. */
function PlanPanel({ inc, tz, dispatches, onChange }: { inc: any; tz: string; dispatches: any[] | null; onChange: () => void }) {
  const s = useStore();
  const role = s.user?.role ?? '';
  const [level, setLevel] = useState(inc.plan?.level ?? 'IV');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const activated = inc.plan?.state === 'activated';
  const activate = async (e: Event) => {
    e.preventDefault();
    try {
      await api(`/api/incidents/${encodeURIComponent(inc.id)}/plan`, { method: 'POST', json: { level, ...(note.trim() ? { note: note.trim() } : {}) } });
      setNote('');
      onChange();
    } catch (err) { setError((err as Error).message); }
  };
  const arrived = (dispatches ?? []).map((d) => d.onSceneAt).filter(Boolean).sort()[0];
  const due = activated ? Date.parse(inc.plan.onSceneDueAt) : null;
  return html`<section class=${'plan ' + (activated ? 'plan-activated' : 'plan-raised')} aria-labelledby="plan-title" data-plan=${activated ? 'activated' : 'alarm_raised'}>
    <h3 id="plan-title">${t('ui.plan.title')}</h3>
    ${activated
      ? html`<p><strong>${t('plan.activated', { level: planLevelLabel(tr(), inc.plan.level) })}</strong> · ${t('ui.plan.activatedInfo', { time: clock(Date.parse(inc.plan.activatedAt), tz), by: inc.plan.activatedBy === 'system:policy' ? t('ui.plan.byPolicy') : inc.plan.activatedBy, level: planLevelLabel(tr(), inc.plan.level) })}${inc.plan.note ? html` — “${inc.plan.note}”` : null}</p>
        <p class=${!arrived && due !== null && due < s.now ? 'due-overdue' : ''}>${arrived ? t('ui.plan.onSceneMet', { time: clock(Date.parse(arrived), tz) }) : t('ui.plan.onScene', { countdown: countdown(tr(), due!, s.now).text })}</p>`
      : html`<p><strong>${t('plan.alarmRaised')}</strong> — ${t('ui.plan.raised')}</p>`}
    ${may(role, 'plan.activate') && OPEN_STATUSES.has(inc.status) ? html`<form class="inline-form" data-plan-form onSubmit=${activate}>
      <label>${t('ui.plan.level')} <select name="level" value=${level} onChange=${(e: Event) => setLevel((e.target as HTMLSelectElement).value)}>${PLAN_LEVELS.map((l) => html`<option value=${l}>${planLevelLabel(tr(), l)}</option>`)}</select></label>
      <label>${t('ui.plan.note')} <input name="plan-note" value=${note} onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)} /></label>
      <button class="btn primary" type="submit" data-plan-activate>${activated ? t('ui.plan.changeLevel') : t('ui.plan.activate')}</button>
    </form>` : !activated ? html`<p class="hint">${t('ui.plan.onlyCommander')}</p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </section>`;
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
    if (may(getState().user?.role ?? '', 'dispatch.read')) {
      try {
        const d = await api<any>(`/api/dispatches?incident=${encodeURIComponent(id)}`);
        setDispatches(d.dispatches ?? []);
      } catch { setDispatches(null); }
    }
    if (mayDispatch(getState().user?.role ?? '')) {
      // The hub's own ranking (ready, available units by ETA) when dispatch runs; else the map's straight-line order.
      try { setCandidates((await api<any>(`/api/dispatches/candidates?incident=${encodeURIComponent(id)}`)).candidates); } catch { setCandidates(null); }
    }
  };
  useEffect(() => { void reload(); }, [id, rev]);

  if (!detail) return html`<section class="view"><p>${error ?? t('ui.detail.loading')}</p><a href="#/incidents">${t('ui.detail.back')}</a></section>`;
  const inc = detail.incident;
  const role = s.user?.role ?? '';
  const site = s.sites.find((x) => x.id === inc.site);
  const tz = site?.timezone ?? 'UTC';
  const time = (iso: string | null | undefined) => (iso ? clock(Date.parse(iso), tz) : '—');

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    try { await fn(); await reload(); void loadIncidents(); void loadEscalations(); } catch (err) { setError((err as Error).message); }
    setBusy(false);
  };
  const act = (to: string) => run(async () => {
    await api(`/api/incidents/${encodeURIComponent(id)}/transition`, { method: 'POST', json: { to, ...(note.trim() ? { note: note.trim() } : {}) } });
    setNote('');
  });
  const ackAll = () => run(() => api(`/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST', json: note.trim() ? { note: note.trim() } : {} }));
  const dispatchUnit = (unit: string) => run(() => api('/api/dispatches', { method: 'POST', json: { incident: id, units: [unit] } }));
  const report = (dispatchId: string, step: string) => run(() => api(`/api/dispatches/${encodeURIComponent(dispatchId)}/${step}`, { method: 'POST', json: {} }));
  const addNote = () => note.trim() && run(async () => { await api(`/api/incidents/${encodeURIComponent(id)}/notes`, { method: 'POST', json: { note: note.trim() } }); setNote(''); });

  const actions = actionsFor(inc.status, role, inc.assignedRole);
  const at = locateIncident(site, inc, detail.alarms.map((a: any) => ({ ...a, incidentId: inc.id })));
  const dispatchedUnits = new Set((dispatches ?? []).map((d) => d.unit ?? d.unitId));
  const canSend = mayDispatch(role) && OPEN_STATUSES.has(inc.status);
  const near = !canSend ? [] : candidates
    ? candidates.filter((c) => !dispatchedUnits.has(c.unit)).slice(0, 5).map((c) => ({ unit: { ...(s.units.find((u) => u.id === c.unit) ?? {}), id: c.unit, name: c.name, status: 'available' }, distance: c.distance, etaS: c.etaS }))
    : at ? nearestUnits(s.units.filter((u) => (u.site ?? inc.site) === inc.site && !dispatchedUnits.has(u.id)), at, 1.5, (uid) => s.units.find((u) => u.id === uid)?.speed).slice(0, 5) : [];
  const snaps = detail.alarms.filter((a: any) => a.alarm?.snapshot).slice(-6);
  const camera = detail.alarms.map((a: any) => a.camera).find((c: string) => site?.cameras.some((x: any) => x.id === c));
  const escalated = s.escalations.some((e) => e.incident.id === inc.id);
  const canAck = !inc.ackedAt && OPEN_STATUSES.has(inc.status) && may(role, 'alarms.ack') && (role !== 'engineer' || inc.assignedRole === 'engineer');
  const canResolve = actions.includes('resolved');

  return html`<section class="view detail" aria-labelledby="inc-title">
    <a href="#/incidents" class="back">${t('ui.detail.back')}</a>
    <h2 id="inc-title"><${SeverityBadge} severity=${inc.severity} /> <${KindLabel} kind=${inc.kind} /> · ${placeLabel(site, inc)} <${StatusBadge} status=${inc.status} /></h2>
    <p class="meta">${nameOf(site, inc.site)} · ${t('ui.detail.opened', { time: time(inc.openedAt), age: formatAge(tr(), Date.parse(inc.openedAt), s.now) })} · ${t('ui.card.alarms', { n: inc.alarmCount })}${inc.peakDensity != null ? ` · ${t('ui.card.peak', { density: formatDensity(tr(), inc.peakDensity) })}` : ''}${inc.clearedAt ? ` · ${t('ui.detail.cleared', { time: time(inc.clearedAt) })}` : ''}${inc.ackedAt ? ` · ${t('ui.detail.acked', { name: inc.ackedBy, time: time(inc.ackedAt) })}` : ''}</p>
    ${escalated ? html`<p class="escalation loud" role="alert">⚠ ${t('ui.detail.escalated')}</p>` : null}
    ${inc.allClearedAt && OPEN_STATUSES.has(inc.status) ? html`<p class="suggest" role="status" data-all-cleared>${t('ui.detail.allCleared')} ${canResolve ? html`<button class="btn primary" data-action-suggested="resolved" disabled=${busy} onClick=${() => act('resolved')}>${actionLabel(tr(), 'resolved')}</button>` : null}</p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <div class="actions" role="group" aria-label=${t('ui.detail.actions')}>
      ${canAck ? html`<button class="btn primary" data-ack-all disabled=${busy} onClick=${ackAll}>${t('ui.detail.ackAll')}</button>` : null}
      ${actions.map((to) => html`<button class=${'btn action action-' + to} data-action=${to} disabled=${busy} onClick=${() => act(to)}>${actionLabel(tr(), to)}</button>`)}
      ${actions.length === 0 && !canAck ? html`<span class="hint">${t('ui.detail.noActions', { role: t(`role.${role}` as MessageKey), status: statusLabel(tr(), inc.status) })}</span>` : null}
      <label class="note">${t('ui.detail.note')} <input value=${note} onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)} placeholder=${t('ui.detail.notePlaceholder')} /></label>
      ${may(role, 'incidents.field') ? html`<button class="btn" onClick=${addNote} disabled=${!note.trim()}>${t('ui.detail.addNote')}</button>` : null}
    </div>
    <div class="detail-grid">
      <div>
        <${PlanPanel} inc=${inc} tz=${tz} dispatches=${dispatches} onChange=${() => { void reload(); void loadIncidents(); }} />
        ${camera && may(role, 'live.video') ? html`<h3>${t('ui.live.open')}</h3><${LiveView} site=${inc.site} camera=${camera} title=${placeLabel(site, { camera })} />` : null}
        <h3>${t('ui.detail.snapshots')}</h3>
        <div class="snaps">${snaps.length ? snaps.map((a: any) => html`<figure><${Snapshot} snap=${a.alarm.snapshot} alt=${`${kindLabel(tr(), a.kind)} ${time(a.capturedAt)}`} large=${true} /><figcaption>${time(a.capturedAt)} · ${a.state === 'raised' ? t('ui.alarm.raised') : t('ui.alarm.cleared')}</figcaption></figure>`) : html`<p class="empty">${t('ui.detail.noSnapshots')}</p>`}</div>
        <h3>${t('ui.disp.title')}</h3>
        ${dispatches === null ? html`<p class="hint">${t('ui.disp.unavailable')}</p>` : dispatches.length === 0 ? html`<p class="empty">${t('ui.disp.none')}</p>` : html`<table class="table dispatches"><thead><tr><th>${t('ui.disp.unit')}</th><th>${t('ui.disp.state')}</th><th>${t('ui.disp.ordered')}</th><th>${t('ui.disp.ack')}</th><th>${t('ui.disp.enRoute')}</th><th>${t('ui.disp.onScene')}</th></tr></thead><tbody>
          ${dispatches.map((d) => {
            const mine = role === 'commander' || role === 'admin' || (role === 'unit' && s.user?.unit === d.unit);
            const step = d.onSceneAt ? null : d.enRouteAt ? 'on_scene' : d.ackedAt ? 'en_route' : 'ack';
            const live = !d.closedAt && !['not_responding', 'released', 'cancelled'].includes(d.state);
            return html`<tr data-dispatch-unit=${d.unit}><td>${unitName(s.sites, d.unit)}${d.etaS != null ? html`<div class="hint">${t('ui.disp.eta', { duration: formatDuration(tr(), d.etaS * 1000) })}${d.onSceneBy ? ` · ${t('ui.disp.onSceneBy', { time: time(d.onSceneBy) })}` : ''}</div>` : null}</td>
              <td><${StatusBadge} status=${d.state ?? '—'} kind="dispatch" />${mine && live && step ? html` <button class="btn small" data-dispatch-step=${step} onClick=${() => report(d.id, step)}>${t(`ui.step.${step}` as MessageKey)}</button>` : null}</td>
              <td>${time(d.orderedAt)}</td><td>${time(d.ackedAt)}</td><td>${time(d.enRouteAt)}</td><td>${time(d.onSceneAt)}</td></tr>`;
          })}
        </tbody></table>`}
        ${near.length ? html`<h3>${t('ui.near.title')}</h3><ol class="near-list">${near.map((n) => html`<li><strong>${unitName(s.sites, n.unit.id)}</strong> <${StatusBadge} status=${n.unit.status} kind="unit" /> · ${t('ui.near.item', { distance: Math.round(n.distance), eta: formatDuration(tr(), n.etaS * 1000) })}
          <button class="btn small" data-dispatch=${n.unit.id} disabled=${busy || (n.unit.status && n.unit.status !== 'available')} onClick=${() => dispatchUnit(n.unit.id)}>${t('ui.near.dispatch')}</button></li>`)}</ol>` : null}
        <${ReportForms} incident=${inc} role=${role} now=${s.now} tz=${tz} />
      </div>
      <div>
        <h3>${t('ui.detail.timeline')}</h3>
        <ol class="timeline">${detail.timeline.map((e: any) => e.type === 'alarm'
          ? html`<li class="tl-alarm"><time>${time(e.at)}</time> <${SeverityBadge} severity=${e.alarm.severity} /> <${KindLabel} kind=${e.alarm.kind} /> ${e.alarm.state === 'raised' ? t('ui.alarm.raised') : t('ui.alarm.cleared')} · ◉ ${placeLabel(site, { camera: e.alarm.camera })}${e.alarm.density != null ? ` · ${formatDensity(tr(), e.alarm.density)}` : ''} — ${alarmMessage(tr(), site, e.alarm.alarm)}</li>`
          : html`<li class="tl-audit"><time>${time(e.at)}</time> <strong>${auditText(e.audit, s.sites)}</strong> ${t('ui.detail.by', { actor: e.audit.actor })}${showNote(e.audit) ? ` — “${e.audit.note}”` : ''}</li>`)}</ol>
        <h3>${t('ui.detail.audit')}</h3>
        <table class="table audit"><thead><tr><th>${t('ui.audit.time')}</th><th>${t('ui.audit.actor')}</th><th>${t('ui.audit.action')}</th><th>${t('ui.audit.note')}</th></tr></thead><tbody>
          ${detail.audit.map((e: any) => html`<tr><td>${time(e.at)}</td><td>${e.actor}</td><td>${auditText(e, s.sites)}</td><td>${showNote(e) ? e.note : ''}</td></tr>`)}
        </tbody></table>
      </div>
    </div>
  </section>`;
}
