import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api, quietly } from '../api.ts';
import { useStore, setState, toggleMuted, loadSuppressions, type FeedAlarm } from '../store.ts';
import { clock, nameOf, t, tr, type MessageKey } from '../i18n.ts';
import { filterAlarms, formatAge, formatDensity, formatDuration, kindLabel, may } from '../logic.ts';
import { alarmMessage } from '../../../i18n/describe.ts';
import { Snapshot, SeverityBadge, KindLabel, placeLabel } from './common.ts';

const KINDS = ['crowd.density', 'object.abandoned', 'camera', 'sensor'];

export function Filters() {
  const s = useStore();
  const cameras = [...new Set([...s.sites.flatMap((x) => x.cameras.map((c: any) => c.id)), ...s.alarms.map((a) => a.camera)])].sort();
  const set = (k: string) => (e: Event) => setState((st) => ({ filter: { ...st.filter, [k]: (e.target as HTMLSelectElement).value || undefined } }));
  const camName = (id: string) => nameOf(s.sites.flatMap((x) => x.cameras).find((c: any) => c.id === id), id);
  return html`<form class="filters" role="search" aria-label=${t('ui.filter.label')} onSubmit=${(e: Event) => e.preventDefault()}>
    <label>${t('ui.filter.site')} <select id="filter-site" value=${s.filter.site ?? ''} onChange=${set('site')}>
      <option value="">${t('ui.filter.allSites')}</option>${s.sites.map((x) => html`<option value=${x.id}>${nameOf(x, x.id)}</option>`)}
    </select></label>
    <label>${t('ui.filter.camera')} <select id="filter-camera" value=${s.filter.camera ?? ''} onChange=${set('camera')}>
      <option value="">${t('ui.filter.allCameras')}</option>${cameras.map((c) => html`<option value=${c}>${camName(c)}</option>`)}
    </select></label>
    <label>${t('ui.filter.kind')} <select id="filter-kind" value=${s.filter.kind ?? ''} onChange=${set('kind')}>
      <option value="">${t('ui.filter.allKinds')}</option>${KINDS.map((k) => html`<option value=${k}>${k.includes('.') ? kindLabel(tr(), k) : t(`kind.family.${k}` as MessageKey)}</option>`)}
    </select></label>
    <button type="button" class="btn" onClick=${toggleMuted} aria-pressed=${s.muted}>${s.muted ? t('ui.sound.off') : t('ui.sound.on')}</button>
  </form>`;
}

/** Shelving a source: for how long (at most 8 h, as ISA-18.2 asks), which of its alarms, and why. */
export function ShelveForm({ site, source, kind, onDone }: { site: string; source: string; kind: string | null; onDone: () => void }) {
  const [minutes, setMinutes] = useState(60);
  const [scope, setScope] = useState(kind ? 'kind' : 'all');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const s = useStore();
  const siteView = s.sites.find((x) => x.id === site);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/api/suppressions/shelve', { method: 'POST', json: { site, source, minutes, reason, ...(scope === 'kind' && kind ? { kind } : {}) } });
      await loadSuppressions();
      onDone();
    } catch (err) { setError((err as Error).message); }
  };
  const choices = [15, 30, 60, 120, 240, 480];
  return html`<form class="shelve-form" data-shelve=${source} onSubmit=${submit}>
    <strong>${t('ui.shelve.title', { source: placeLabel(siteView, { camera: source }) })}</strong>
    <label>${t('ui.shelve.for')} <select name="minutes" value=${String(minutes)} onChange=${(e: Event) => setMinutes(Number((e.target as HTMLSelectElement).value))}>
      ${choices.map((m) => html`<option value=${String(m)}>${m < 60 ? t('ui.shelve.minutes', { n: m }) : t('ui.shelve.hours', { n: m / 60 })}</option>`)}</select></label>
    ${kind ? html`<label>${t('ui.shelve.scope')} <select name="scope" value=${scope} onChange=${(e: Event) => setScope((e.target as HTMLSelectElement).value)}>
      <option value="kind">${t('ui.shelve.thisKind', { kind: kindLabel(tr(), kind) })}</option><option value="all">${t('ui.shelve.allKinds')}</option></select></label>` : null}
    <label>${t('ui.shelve.reason')} <input name="reason" value=${reason} required onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></label>
    <button class="btn primary" type="submit" disabled=${!reason.trim()}>${t('ui.shelve.submit')}</button>
    <button class="btn" type="button" onClick=${onDone}>${t('ui.cancel')}</button>
    ${error ? html`<span class="error" role="alert">${error}</span>` : null}
  </form>`;
}

function AlarmRow({ a, now }: { a: FeedAlarm; now: number }) {
  const s = useStore();
  const [shelving, setShelving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const site = s.sites.find((x) => x.id === a.site);
  const role = s.user?.role ?? '';
  const tz = site?.timezone ?? 'UTC';
  const message = a.payload ? alarmMessage(tr(), site, a.payload) : null;
  const ack = async () => {
    try { await api(`/api/alarms/${encodeURIComponent(a.id)}/ack`, { method: 'POST', json: {} }); setState((st) => ({ alarms: st.alarms.map((x) => (x.id === a.id ? { ...x, ackedBy: st.user?.name ?? '' } : x)) })); } catch (err) { setError((err as Error).message); }
  };
  return html`<li class=${'alarm sev-row-' + a.severity + (a.state === 'cleared' ? ' cleared' : '') + (a.outcome === 'feed' ? ' feed-only' : '')} data-alarm-id=${a.id} data-kind=${a.kind}>
    <${Snapshot} snap=${a.snapshot} alt=${`${kindLabel(tr(), a.kind)} · ${placeLabel(site, a)}`} />
    <div class="alarm-body">
      <div class="alarm-head"><${SeverityBadge} severity=${a.severity} /> <${KindLabel} kind=${a.kind} />
        <span class=${'state state-' + a.state}>${a.state === 'raised' ? t('ui.alarm.raised') : t('ui.alarm.cleared')}</span>
        ${a.outcome === 'feed' ? html`<span class="badge outcome-feed">${t('ui.alarm.feedOnly')}</span>` : null}</div>
      <div class="alarm-where">${nameOf(site, a.site)} · ◉ ${placeLabel(site, { camera: a.camera })}${a.zone ? html` · ${t('ui.alarm.zone', { zone: placeLabel(site, { zone: a.zone }) })}` : ''}${a.density != null ? ` · ${formatDensity(tr(), a.density)}` : ''}</div>
      ${message ? html`<div class="alarm-msg">${message}</div>` : null}
      ${a.ackedBy ? html`<div class="acked">${t('ui.alarm.acked', { name: a.ackedBy })}</div>` : null}
      ${shelving ? html`<${ShelveForm} site=${a.site} source=${a.camera} kind=${a.kind} onDone=${() => setShelving(false)} />` : null}
      ${error ? html`<div class="error" role="alert">${error}</div>` : null}
    </div>
    <div class="alarm-side">
      <time class="age" datetime=${new Date(a.capturedAtMs).toISOString()} title=${clock(a.capturedAtMs, tz)}>${formatAge(tr(), a.capturedAtMs, now)}</time>
      ${a.incidentId ? html`<a class="btn small" href=${'#/incidents/' + a.incidentId}>${t('ui.alarm.toIncident')}</a>` : null}
      ${may(role, 'alarms.ack') && !a.ackedBy && a.state === 'raised' && a.outcome !== 'feed' ? html`<button class="btn small" data-alarm-ack=${a.id} onClick=${ack}>${t('ui.alarm.ack')}</button>` : null}
      ${may(role, 'alarms.shelve') && !shelving ? html`<button class="btn small" data-alarm-shelve=${a.id} onClick=${() => setShelving(true)}>${t('ui.alarm.shelve')}</button>` : null}
    </div>
  </li>`;
}

/** The flood guard's summary of a source over its limit: one row instead of many alarms. */
function FloodRow({ f }: { f: any }) {
  const s = useStore();
  const site = s.sites.find((x) => x.id === f.site);
  const text = t('alarm.flood', { count: f.count, kind: kindLabel(tr(), f.kind), source: placeLabel(site, { camera: f.source }), since: clock(Date.parse(f.windowStart), site?.timezone ?? 'UTC'), suppressed: f.suppressed });
  return html`<li class="alarm flood" data-flood=${`${f.source}|${f.kind}`}>
    <div class="alarm-body"><div class="alarm-head"><span class="badge sev-warning">▲ ${t('ui.flood.title')}</span> <${KindLabel} kind=${f.kind} /></div><div class="alarm-msg">${text}</div></div>
  </li>`;
}

/** What is shelved (and until when) and what is out of service, with the way back. */
export function SuppressionList() {
  const s = useStore();
  const role = s.user?.role ?? '';
  const [error, setError] = useState<string | null>(null);
  const end = async (id: string) => {
    try { await api(`/api/suppressions/${encodeURIComponent(id)}`, { method: 'DELETE' }); await loadSuppressions(); } catch (err) { setError((err as Error).message); }
  };
  return html`<section class="suppressions" aria-labelledby="supp-title">
    <h3 id="supp-title">${t('ui.supp.title')} <span class="count">${s.suppressions.length}</span></h3>
    ${s.suppressions.length === 0 ? html`<p class="empty">${t('ui.supp.empty')}</p>` : html`<ul class="plain">${s.suppressions.map((x) => {
      const site = s.sites.find((y) => y.id === x.site);
      const tz = site?.timezone ?? 'UTC';
      const until = x.until ? Date.parse(x.until) : null;
      const mayEnd = x.type === 'shelved' ? may(role, 'alarms.shelve') : may(role, 'sources.service');
      return html`<li data-suppression=${x.id} data-suppression-type=${x.type}>
        <strong>${placeLabel(site, { camera: x.source })}</strong> · ${x.kind ? kindLabel(tr(), x.kind) : t('ui.supp.allKinds')} ·
        ${x.type === 'shelved' ? t('ui.supp.shelvedUntil', { time: clock(until!, tz), left: formatDuration(tr(), until! - s.now) }) : t('ui.supp.oosSince', { time: clock(Date.parse(x.createdAt), tz) })}
        <div class="hint">${t('ui.supp.by', { name: x.createdBy, reason: x.reason })}</div>
        ${mayEnd ? html`<button class="btn small" data-suppression-end=${x.id} onClick=${() => end(x.id)}>${x.type === 'shelved' ? t('ui.supp.unshelve') : t('ui.supp.return')}</button>` : null}
      </li>`;
    })}</ul>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </section>`;
}

/** The alarm load against ISA-18.2: about one alarm per 10 minutes per operator, a flood above 10. */
export function AlarmLoad() {
  const s = useStore();
  const [rates, setRates] = useState<any>(null);
  const site = s.filter.site ?? s.sites[0]?.id;
  // New alarms move the figures: reload with them, at most every few seconds.
  const newest = s.alarms[0]?.id;
  const [tick, setTick] = useState(0);
  useEffect(() => { const timer = setTimeout(() => setTick((n) => n + 1), 3000); return () => clearTimeout(timer); }, [newest]);
  useEffect(() => {
    if (!site || !may(s.user?.role ?? '', 'alarms.rates')) return;
    const load = () => api<any>(`/api/alarm-rates?site=${encodeURIComponent(site)}&hours=24`).then((r) => setRates(r.rates), quietly('alarm rates'));
    void load();
    const timer = setInterval(load, 60_000);
    return () => clearInterval(timer);
  }, [site, s.user?.role, tick]);
  if (!rates) return null;
  const suppressed = rates.suppressed.flood + rates.suppressed.shelved + rates.suppressed.out_of_service;
  return html`<section class=${'alarm-load verdict-' + rates.verdict} aria-labelledby="load-title" data-verdict=${rates.verdict}>
    <h3 id="load-title">${t('ui.load.title', { hours: 24 })}</h3>
    <p><strong>${t(`ui.load.verdict.${rates.verdict}` as MessageKey)}</strong> · ${t('ui.load.perOp', { value: rates.avgPerOperatorPer10Min, target: rates.targets.perOperatorPer10Min })}</p>
    <p>${t('ui.load.presented', { n: rates.presented })} · ${t('ui.load.peak', { value: rates.peakPer10Min })} · ${t('ui.load.flood', { pct: rates.floodPeriodsPct, limit: rates.targets.floodPer10Min })}</p>
    <p class="hint">${t('ui.load.kept', { feed: rates.feedOnly, suppressed })}</p>
    ${rates.operators.length ? html`<ul class="plain">${rates.operators.slice(0, 6).map((o: any) => html`<li>${t('ui.load.user', { name: o.name, n: o.acknowledged })}</li>`)}</ul>` : null}
  </section>`;
}

export function FeedView() {
  const s = useStore();
  const list = filterAlarms(s.alarms, s.filter);
  const floods = s.floods.filter((f) => (!s.filter.site || f.site === s.filter.site) && (!s.filter.camera || f.source === s.filter.camera));
  return html`<section class="view feed" aria-labelledby="feed-title">
    <h2 id="feed-title">${t('ui.feed.title')} <span class="count">${list.length}</span></h2>
    <${Filters} />
    <div class="feed-layout">
      <div>
        ${floods.length ? html`<ol class="alarm-list floods">${floods.map((f) => html`<${FloodRow} key=${f.source + f.kind} f=${f} />`)}</ol>` : null}
        ${list.length === 0 ? html`<p class="empty">${Object.values(s.filter).some(Boolean) ? t('ui.feed.emptyFilter') : t('ui.feed.empty')}</p>` : null}
        <ol class="alarm-list" aria-live="polite" aria-relevant="additions">${list.slice(0, 150).map((a) => html`<${AlarmRow} key=${a.id} a=${a} now=${s.now} />`)}</ol>
      </div>
      <aside class="feed-side"><${SuppressionList} /><${AlarmLoad} /></aside>
    </div>
  </section>`;
}
