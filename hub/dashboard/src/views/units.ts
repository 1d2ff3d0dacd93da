import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api } from '../api.ts';
import { useStore } from '../store.ts';
import { formatClock } from '../logic.ts';
import { assessReadiness, currentShift } from '../../../units/readiness.ts';
import { StatusBadge } from './common.ts';

/** Readiness as hub-ops reports it, else worked out here by the same rule from the roster. */
export function readinessFor(u: any, now: number, tz: string) {
  return u.readiness ?? assessReadiness({ members: u.members ?? [], roster: u.roster ?? [] }, now, tz);
}

export function UnitsView() {
  const s = useStore();
  const [drills, setDrills] = useState<any[] | null>(null);
  const role = s.user?.role ?? '';
  useEffect(() => {
    if (role !== 'commander' && role !== 'admin') return;
    api<any>('/api/drills').then((d) => setDrills(Array.isArray(d) ? d : d.drills ?? []), () => setDrills(null));
  }, [role]);
  const units = s.units.filter((u) => !s.filter.site || (u.site ?? s.filter.site) === s.filter.site);
  return html`<section class="view units" aria-labelledby="units-title">
    <h2 id="units-title">Response units <span class="count">${units.length}</span></h2>
    <div class="unit-grid">${units.map((u) => {
      const site = s.sites.find((x) => x.id === (u.site ?? s.sites[0]?.id));
      const tz = site?.timezone ?? 'UTC';
      const r = readinessFor(u, s.now, tz);
      const shift = currentShift(u.roster ?? [], s.now, tz);
      const onDuty = new Set(shift?.onDuty ?? []);
      const unitDrills = (drills ?? []).filter((d) => d.unitId === u.id);
      return html`<article class=${'unit-card ' + (r.ready ? 'ready' : 'unready')} data-unit-id=${u.id} aria-label=${`Unit ${u.name}`}>
        <h3>${u.name} <${StatusBadge} status=${u.status ?? 'available'} /></h3>
        <p class=${r.ready ? 'ok' : 'warn'}><strong>${r.ready ? '✔ Ready' : '✖ Not ready'}</strong>${r.ready ? '' : html`: ${r.reasons.join('; ')}`}</p>
        <p>Shift <strong>${shift?.name ?? 'none'}</strong>${shift ? ` (${shift.start}–${shift.end} ${tz})` : ''} · ${onDuty.size} on duty · leader <strong>${(u.members ?? []).find((m: any) => m.id === shift?.leader)?.name ?? '—'}</strong></p>
        <table class="table"><thead><tr><th>Member</th><th>Role</th><th>On duty</th></tr></thead><tbody>
          ${(u.members ?? []).map((m: any) => html`<tr class=${onDuty.has(m.id) ? 'on' : 'off'}><td>${m.name}${m.id === shift?.leader ? ' ★ duty leader' : ''}</td><td>${m.role ?? ''}</td><td>${onDuty.has(m.id) ? '✔ on duty' : '– off'}</td></tr>`)}
        </tbody></table>
        <details><summary>Roster and equipment</summary>
          <ul class="plain">${(u.roster ?? []).map((sh: any) => html`<li>${sh.name}: ${sh.start}–${sh.end}, ${sh.onDuty.length} on duty, leader ${sh.leader}</li>`)}</ul>
          <p>Equipment: ${(u.equipment ?? []).join(', ') || '—'}</p></details>
        <details open=${unitDrills.length > 0}><summary>Drill history (${drills === null ? 'commanders only' : unitDrills.length})</summary>
          <ul class="plain drills">${unitDrills.slice(0, 10).map((d) => html`<li>${formatClock(Date.parse(d.startedAt ?? d.scheduledAt), tz)} ${(d.startedAt ?? d.scheduledAt).slice(0, 10)} · ${d.reason} · <strong>${d.state}</strong>${d.outcome ? ` (${d.outcome})` : ''}${d.ackS != null ? ` · ack ${Math.round(d.ackS)} s` : ''}${d.onSceneS != null ? ` · on scene ${Math.round(d.onSceneS)} s` : ''}</li>`)}</ul></details>
      </article>`;
    })}</div>
  </section>`;
}
