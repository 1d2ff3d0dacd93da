import { useEffect, useState } from 'preact/hooks';
import { html } from './html.ts';
import { logout, setUnauthorizedHandler } from './api.ts';
import { getState, setState, startSession, stopSession, toggleMuted, useStore } from './store.ts';
import { LoginView } from './views/login.ts';
import { FeedView } from './views/feed.ts';
import { MapView } from './views/map.ts';
import { BoardView, IncidentDetail } from './views/incidents.ts';
import { ChartsView } from './views/charts.ts';
import { UnitsView } from './views/units.ts';
import { ReplayView } from './views/replay.ts';
import { HelpOverlay } from './views/help.ts';

/** Hash routes: the hub serves one page at `/`, and a reload keeps the view. */
const VIEWS = [
  { key: '1', path: 'feed', title: 'Alarms', roles: ['operator', 'commander', 'engineer', 'admin'] },
  { key: '2', path: 'map', title: 'Map' },
  { key: '3', path: 'incidents', title: 'Incidents', roles: ['operator', 'commander', 'unit', 'admin'] },
  { key: '4', path: 'charts', title: 'Crowd' },
  { key: '5', path: 'units', title: 'Units' },
  { key: '6', path: 'replay', title: 'Replay', roles: ['engineer', 'admin'] },
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => { const f = () => setHash(location.hash); addEventListener('hashchange', f); return () => removeEventListener('hashchange', f); }, []);
  return hash;
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function App() {
  const s = useStore();
  const hash = useHash();
  const [wall, setWall] = useState(new URLSearchParams(location.search).get('wall') === '1');
  useEffect(() => { document.body.classList.toggle('wall', wall); }, [wall]);
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
      const v = VIEWS.find((x) => x.key === e.key && (!('roles' in x) || (x.roles as readonly string[]).includes(role)));
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
  const views = VIEWS.filter((v) => !('roles' in v) || (v.roles as readonly string[]).includes(s.user!.role));
  let body;
  if (view === 'incidents' && id) body = html`<${IncidentDetail} id=${decodeURIComponent(id)} />`;
  else if (view === 'map') body = html`<${MapView} />`;
  else if (view === 'incidents') body = html`<${BoardView} />`;
  else if (view === 'charts') body = html`<${ChartsView} wall=${wall} />`;
  else if (view === 'units') body = html`<${UnitsView} />`;
  else if (view === 'replay') body = html`<${ReplayView} />`;
  else body = html`<${FeedView} />`;
  const openCount = s.incidents.filter((i) => ['open', 'acknowledged', 'dispatched', 'on_scene'].includes(i.status)).length;

  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <h1 class="brand">Vigil</h1>
      <nav aria-label="Views"><ul>${views.map((v) => html`<li><a href=${'#/' + v.path} aria-current=${view === v.path ? 'page' : undefined} class=${view === v.path ? 'active' : ''}><kbd>${v.key}</kbd> ${v.title}${v.path === 'incidents' && openCount ? html` <span class="count">${openCount}</span>` : null}</a></li>`)}</ul></nav>
      <div class="top-right">
        <span class=${'conn ' + (s.connected ? 'up' : 'down')} role="status">${s.connected ? '● live' : '○ reconnecting…'}</span>
        <span class="who">${s.user.name} (${s.user.role}${s.user.unit ? ` · ${s.user.unit}` : ''})</span>
        <button class="btn small" onClick=${() => setState({ help: true })} aria-label="Keyboard shortcuts">?</button>
        <button class="btn small" onClick=${() => setWall(!wall)} aria-pressed=${wall}>Wall</button>
        <button class="btn small" onClick=${() => { stopSession(); logout(); setState({ user: null }); }}>Log out</button>
      </div>
    </header>
    ${s.error ? html`<p class="error banner" role="alert">${s.error}</p>` : null}
    <main id="main" tabindex="-1">${body}</main>
    ${s.help ? html`<${HelpOverlay} />` : null}
  </div>`;
}
