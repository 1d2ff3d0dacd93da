import { useEffect, useState } from 'preact/hooks';
import { html } from './html.ts';
import { api, logout, setUnauthorizedHandler } from './api.ts';
import { getState, loadEscalations, setLocale, setState, startSession, stopSession, toggleMuted, useStore } from './store.ts';
import { LOCALES, t, tr, type Locale, type MessageKey } from './i18n.ts';
import { kindLabel, may } from './logic.ts';
import { LoginView } from './views/login.ts';
import { FeedView } from './views/feed.ts';
import { MapView } from './views/map.ts';
import { BoardView, IncidentDetail } from './views/incidents.ts';
import { ChartsView } from './views/charts.ts';
import { UnitsView } from './views/units.ts';
import { ReplayView } from './views/replay.ts';
import { HelpOverlay } from './views/help.ts';
import { placeLabel } from './views/common.ts';

/** Hash routes: the hub serves one page at `/`, and a reload keeps the view. */
const VIEWS: readonly { key: string; path: string; title: MessageKey; roles?: readonly string[] }[] = [
  { key: '1', path: 'feed', title: 'ui.nav.feed', roles: ['operator', 'commander', 'engineer', 'admin'] },
  { key: '2', path: 'map', title: 'ui.nav.map' },
  { key: '3', path: 'incidents', title: 'ui.nav.incidents', roles: ['operator', 'commander', 'unit', 'engineer', 'admin'] },
  { key: '4', path: 'charts', title: 'ui.nav.charts' },
  { key: '5', path: 'units', title: 'ui.nav.units' },
  { key: '6', path: 'replay', title: 'ui.nav.replay', roles: ['engineer', 'admin'] },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => { const f = () => setHash(location.hash); addEventListener('hashchange', f); return () => removeEventListener('hashchange', f); }, []);
  return hash;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** The language switch: each language named in itself. */
function LanguagePicker() {
  const s = useStore();
  return html`<label class="lang">${t('ui.language')} <select id="lang" value=${s.locale} onChange=${(e: Event) => setLocale((e.target as HTMLSelectElement).value as Locale)}>
    ${LOCALES.map((l) => html`<option value=${l}>${t(`ui.lang.${l}` as MessageKey)}</option>`)}</select></label>`;
}

/**
 * Incidents nobody acknowledged in time, escalated to the commander role: a
 * loud banner for commanders (and a quieter one for those who triage).
 */
function EscalationBanner() {
  const s = useStore();
  const role = s.user?.role ?? '';
  if (!s.escalations.length || !may(role, 'incidents.triage')) return null;
  const loud = may(role, 'plan.activate');
  const ack = async (id: string) => {
    try { await api(`/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST', json: {} }); await loadEscalations(); } catch (err) { setState({ error: (err as Error).message }); }
  };
  return html`<div class=${'escalation' + (loud ? ' loud' : '')} role="alert" aria-live="assertive" data-escalations=${s.escalations.length}>
    <strong>⚠ ${t('ui.escalation.banner', { count: s.escalations.length })}</strong>
    <ul class="plain">${s.escalations.slice(0, 5).map((e) => html`<li>
      ${kindLabel(tr(), e.incident.kind)} · ${placeLabel(s.sites.find((x) => x.id === e.incident.site), e.incident)}
      <a class="btn small" href=${'#/incidents/' + e.incident.id}>${t('ui.escalation.open')}</a>
      <button class="btn small" data-escalation-ack=${e.incident.id} onClick=${() => ack(e.incident.id)}>${t('ui.escalation.ack')}</button></li>`)}</ul>
  </div>`;
}

export function App() {
  const s = useStore();
  const hash = useHash();
  const [wall, setWall] = useState(new URLSearchParams(location.search).get('wall') === '1');
  useEffect(() => { document.body.classList.toggle('wall', wall); }, [wall]);
  useEffect(() => { document.title = `Vigil · ${t('ui.nav.incidents')}`; }, [s.locale]);
  useEffect(() => {
    setUnauthorizedHandler(() => { stopSession(); setState({ user: null }); });
    if (getState().user) void startSession();
    return () => stopSession();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && getState().help) { setState({ help: false }); return; }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || !getState().user) return;
      const role = getState().user!.role;
      const v = VIEWS.find((x) => x.key === e.key && (!x.roles || x.roles.includes(role)));
      if (v) { location.hash = `#/${v.path}`; e.preventDefault(); return; }
      if (e.key === '?') { setState({ help: !getState().help }); e.preventDefault(); }
      else if (e.key === 'm') toggleMuted();
      else if (e.key === 'w') setWall((w) => !w);
      else if (e.key === '/') { location.hash = '#/feed'; setTimeout(() => document.getElementById('filter-site')?.focus(), 0); e.preventDefault(); }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  if (!s.user) return html`<${LoginView} />`;
  // A unit login reads incidents, not the raw alarm feed (hub/api/roles.ts); an engineer the other way round.
  const [, view = s.user.role === 'unit' ? 'incidents' : 'feed', id] = hash.replace(/^#/, '').split('/');
  const views = VIEWS.filter((v) => !v.roles || v.roles.includes(s.user!.role));
  let body;
  if (view === 'incidents' && id) body = html`<${IncidentDetail} id=${decodeURIComponent(id)} />`;
  else if (view === 'map') body = html`<${MapView} />`;
  else if (view === 'incidents') body = html`<${BoardView} />`;
  else if (view === 'charts') body = html`<${ChartsView} wall=${wall} />`;
  else if (view === 'units') body = html`<${UnitsView} />`;
  else if (view === 'replay') body = html`<${ReplayView} />`;
  else body = html`<${FeedView} />`;
  const openCount = s.incidents.filter((i) => ['open', 'acknowledged', 'dispatched', 'on_scene'].includes(i.status)).length;
  const who = t('ui.who', { name: s.user.name, role: t(`role.${s.user.role}` as MessageKey), unit: s.user.unit ?? 'none' });

  return html`<div class="shell">
    <a class="skip" href="#main">${t('ui.skip')}</a>
    <header class="top">
      <h1 class="brand">Vigil</h1>
      <nav aria-label=${t('ui.nav.label')}><ul>${views.map((v) => html`<li><a href=${'#/' + v.path} aria-current=${view === v.path ? 'page' : undefined} class=${view === v.path ? 'active' : ''}><kbd>${v.key}</kbd> ${t(v.title)}${v.path === 'incidents' && openCount ? html` <span class="count">${openCount}</span>` : null}</a></li>`)}</ul></nav>
      <div class="top-right">
        <span class=${'conn ' + (s.connected ? 'up' : 'down')} role="status">${s.connected ? t('ui.conn.live') : t('ui.conn.reconnecting')}</span>
        <span class="who">${who}</span>
        <${LanguagePicker} />
        <button class="btn small" onClick=${() => setState({ help: true })} aria-label=${t('ui.shortcuts')} title=${t('ui.shortcuts')}>?</button>
        <button class="btn small" onClick=${() => setWall(!wall)} aria-pressed=${wall}>${t('ui.wall')}</button>
        <button class="btn small" onClick=${() => { stopSession(); logout(); setState({ user: null }); }}>${t('ui.logout')}</button>
      </div>
    </header>
    <${EscalationBanner} />
    ${s.error ? html`<p class="error banner" role="alert">${s.error}</p>` : null}
    <main id="main" tabindex="-1">${body}</main>
    ${s.help ? html`<${HelpOverlay} />` : null}
  </div>`;
}
