import { html } from '../html.ts';
import { useStore, setState, toggleMuted, type FeedAlarm } from '../store.ts';
import { filterAlarms, formatAge, formatDensity, kindLabel } from '../logic.ts';
import { Snapshot, SeverityBadge, KindLabel } from './common.ts';

const KINDS = ['crowd.density', 'object.abandoned', 'camera', 'sensor'];

export function Filters() {
  const s = useStore();
  const cameras = [...new Set([...s.sites.flatMap((x) => x.cameras.map((c: any) => c.id)), ...s.alarms.map((a) => a.camera)])].sort();
  const set = (k: string) => (e: Event) => setState((st) => ({ filter: { ...st.filter, [k]: (e.target as HTMLSelectElement).value || undefined } }));
  return html`<form class="filters" role="search" aria-label="Filter alarms" onSubmit=${(e: Event) => e.preventDefault()}>
    <label>Site <select id="filter-site" value=${s.filter.site ?? ''} onChange=${set('site')}>
      <option value="">all sites</option>${s.sites.map((x) => html`<option value=${x.id}>${x.name}</option>`)}
    </select></label>
    <label>Camera <select id="filter-camera" value=${s.filter.camera ?? ''} onChange=${set('camera')}>
      <option value="">all cameras</option>${cameras.map((c) => html`<option value=${c}>${c}</option>`)}
    </select></label>
    <label>Kind <select id="filter-kind" value=${s.filter.kind ?? ''} onChange=${set('kind')}>
      <option value="">all kinds</option>${KINDS.map((k) => html`<option value=${k}>${k.includes('.') ? kindLabel(k) : k + ' (all)'}</option>`)}
    </select></label>
    <button type="button" class="btn" onClick=${toggleMuted} aria-pressed=${s.muted}>
      ${s.muted ? '✕ Sound off' : '♪ Sound on'}
    </button>
  </form>`;
}

function AlarmRow({ a, now }: { a: FeedAlarm; now: number }) {
  const site = useStore().sites.find((x) => x.id === a.site);
  const zoneName = site?.cameras.flatMap((c: any) => c.zones).find((z: any) => z.id === a.zone)?.name ?? a.zone;
  return html`<li class=${'alarm sev-row-' + a.severity + (a.state === 'cleared' ? ' cleared' : '')} data-alarm-id=${a.id} data-kind=${a.kind}>
    <${Snapshot} snap=${a.snapshot} alt=${`${kindLabel(a.kind)} at ${a.camera}`} />
    <div class="alarm-body">
      <div class="alarm-head"><${SeverityBadge} severity=${a.severity} /> <${KindLabel} kind=${a.kind} />
        <span class=${'state state-' + a.state}>${a.state === 'raised' ? '● raised' : '○ cleared'}</span></div>
      <div class="alarm-where">${site?.name ?? a.site} · ◉ ${a.camera}${a.zone ? html` · zone <strong>${zoneName}</strong>` : ''}${a.density != null ? ` · ${formatDensity(a.density)}` : ''}</div>
      ${a.message ? html`<div class="alarm-msg">${a.message}</div>` : null}
    </div>
    <div class="alarm-side">
      <time class="age" datetime=${new Date(a.capturedAtMs).toISOString()} title=${new Date(a.capturedAtMs).toISOString()}>${formatAge(a.capturedAtMs, now)}</time>
      ${a.incidentId ? html`<a class="btn small" href=${'#/incidents/' + a.incidentId}>Incident →</a>` : null}
    </div>
  </li>`;
}

export function FeedView() {
  const s = useStore();
  const list = filterAlarms(s.alarms, s.filter);
  return html`<section class="view feed" aria-labelledby="feed-title">
    <h2 id="feed-title">Live alarms <span class="count">${list.length}</span></h2>
    <${Filters} />
    ${list.length === 0 ? html`<p class="empty">No alarms${Object.values(s.filter).some(Boolean) ? ' match the filter' : ' yet'}.</p>` : null}
    <ol class="alarm-list" aria-live="polite" aria-relevant="additions">${list.slice(0, 150).map((a) => html`<${AlarmRow} key=${a.id} a=${a} now=${s.now} />`)}</ol>
  </section>`;
}
