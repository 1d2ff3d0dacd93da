import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api } from '../api.ts';
import { useStore } from '../store.ts';
import { clock, date, nameOf, t, tr, type MessageKey } from '../i18n.ts';
import { may } from '../logic.ts';
import { assessReadiness, currentShift, type Readiness } from '../../../units/readiness.ts';
import { StatusBadge } from './common.ts';

/** Readiness as hub-ops reports it, else worked out here by the same rule from the roster. */
export function readinessFor(u: any, now: number, tz: string): Readiness {
  return u.readiness ?? assessReadiness({ members: u.members ?? [], roster: u.roster ?? [] }, now, tz);
}

/** The reasons a unit is not ready, in the reader's language. */
export function readinessReasons(r: Readiness): string {
  return (r.why ?? []).map((w) => tr().lookup(w.key, w.params) ?? w.key).join('; ') || r.reasons.join('; ');
}

const memberRole = (role: string | undefined) => (role ? tr().lookup(`memberRole.${role}`) ?? role : '');

export function UnitsView() {
  const s = useStore();
  const [drills, setDrills] = useState<any[] | null>(null);
  const role = s.user?.role ?? '';
  useEffect(() => {
    if (!may(role, 'drills.command')) return;
    api<any>('/api/drills').then((d) => setDrills(Array.isArray(d) ? d : d.drills ?? []), () => setDrills(null));
  }, [role]);
  const units = s.units.filter((u) => !s.filter.site || (u.site ?? s.filter.site) === s.filter.site);
  return html`<section class="view units" aria-labelledby="units-title">
    <h2 id="units-title">${t('ui.units.title')} <span class="count">${units.length}</span></h2>
    <div class="unit-grid">${units.map((u) => {
      const site = s.sites.find((x) => x.id === (u.site ?? s.sites[0]?.id));
      const tz = site?.timezone ?? 'UTC';
      const configured = site?.units?.find((x: any) => x.id === u.id);
      const name = nameOf(configured ?? u, u.name);
      const r = readinessFor(u, s.now, tz);
      const shift = currentShift(u.roster ?? [], s.now, tz);
      const onDuty = new Set(shift?.onDuty ?? []);
      const memberName = (id: string | undefined) => (u.members ?? []).find((m: any) => m.id === id)?.name ?? '—';
      const unitDrills = (drills ?? []).filter((d) => d.unitId === u.id);
      return html`<article class=${'unit-card ' + (r.ready ? 'ready' : 'unready')} data-unit-id=${u.id} aria-label=${t('ui.units.label', { name })}>
        <h3>${name} <${StatusBadge} status=${u.status ?? 'available'} kind="unit" /></h3>
        <p class=${r.ready ? 'ok' : 'warn'}><strong>${r.ready ? t('ui.units.ready') : t('ui.units.notReady')}</strong>${r.ready ? '' : html`: ${readinessReasons(r)}`}</p>
        <p>${t('ui.units.shift', { shift: shift?.name ?? t('ui.units.shiftNone') })}${shift ? ` (${shift.start}–${shift.end} ${tz})` : ''} · ${t('ui.units.onDuty', { n: onDuty.size })} · ${t('ui.units.leader', { name: memberName(shift?.leader) })}</p>
        <table class="table"><thead><tr><th>${t('ui.units.member')}</th><th>${t('ui.units.role')}</th><th>${t('ui.units.onDutyCol')}</th></tr></thead><tbody>
          ${(u.members ?? []).map((m: any) => html`<tr class=${onDuty.has(m.id) ? 'on' : 'off'}><td>${m.name}${m.id === shift?.leader ? ` ${t('ui.units.dutyLeader')}` : ''}</td><td>${memberRole(m.role)}</td><td>${onDuty.has(m.id) ? t('ui.units.on') : t('ui.units.off')}</td></tr>`)}
        </tbody></table>
        <details><summary>${t('ui.units.rosterKit')}</summary>
          <ul class="plain">${(u.roster ?? []).map((sh: any) => html`<li>${t('ui.units.shiftLine', { name: sh.name, start: sh.start, end: sh.end, n: sh.onDuty.length, leader: memberName(sh.leader) })}</li>`)}</ul>
          <p>${t('ui.units.equipment', { list: (u.equipment ?? []).join('、') || '—' })}</p></details>
        <details open=${unitDrills.length > 0}><summary>${t('ui.units.drills', { n: drills === null ? t('ui.units.drillsCommanders') : String(unitDrills.length) })}</summary>
          <ul class="plain drills">${unitDrills.slice(0, 10).map((d) => {
            const at = Date.parse(d.startedAt ?? d.scheduledAt);
            return html`<li>${t('ui.units.drill', { time: `${date(at, tz)} ${clock(at, tz)}`, reason: t(`drill.reason.${d.reason}` as MessageKey), state: t(`drill.state.${d.state}` as MessageKey) })}${d.ackS != null ? ` · ${t('ui.units.drillAck', { s: Math.round(d.ackS) })}` : ''}${d.onSceneS != null ? ` · ${t('ui.units.drillOnScene', { s: Math.round(d.onSceneS) })}` : ''}</li>`;
          })}</ul></details>
      </article>`;
    })}</div>
  </section>`;
}
