import { useEffect, useState } from 'preact/hooks';
import { api, openStream, quietly, session, type User } from './api.ts';
import { may, shouldBeep, type AlarmFilter } from './logic.ts';
import { beep } from './beep.ts';
import { applyDocumentLanguage, chooseLocale, locale, type Locale } from './i18n.ts';

/** The dashboard's shared state: one object, replaced on change, with a tiny subscribe/notify. */
export interface FeedAlarm {
  id: string; site: string; camera: string; zone: string | null; kind: string; state: string; severity: string;
  capturedAtMs: number; incidentId: string | null; message?: string | null; density?: number | null;
  snapshot?: { bucket: string; name: string } | null; fresh?: boolean;
  outcome?: string; ackedBy?: string | null; payload?: any;
}

export interface State {
  user: User | null;
  locale: Locale;
  now: number;
  connected: boolean;
  sites: any[];
  alarms: FeedAlarm[];
  incidents: any[];
  cameras: any[];
  edges: any[];
  zones: any[];
  units: any[];
  unitsFromHub: boolean;
  /** shelved and out-of-service sources */
  suppressions: any[];
  /** the flood guard's summaries, by site|source|kind */
  floods: any[];
  /** incidents escalated to the commander because nobody acknowledged them */
  escalations: any[];
  filter: AlarmFilter;
  muted: boolean;
  help: boolean;
  error: string | null;
  /** bumps when an incident changes, so an open detail view reloads */
  incidentRev: Record<string, number>;
}

applyDocumentLanguage();
let state: State = {
  user: session()?.user ?? null, locale: locale(), now: Date.now(), connected: false, sites: [], alarms: [], incidents: [], cameras: [], edges: [], zones: [], units: [], unitsFromHub: false,
  suppressions: [], floods: [], escalations: [],
  filter: {}, muted: localStorage.getItem('vigil.muted') === '1', help: false, error: null, incidentRev: {},
};
const listeners = new Set<() => void>();

export function getState(): State { return state; }
export function setState(patch: Partial<State> | ((s: State) => Partial<State>)): void {
  state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
  for (const l of listeners) l();
}
export function useStore(): State {
  const [, force] = useState(0);
  useEffect(() => { const l = () => force((n) => n + 1); listeners.add(l); return () => { listeners.delete(l); }; }, []);
  return state;
}

/** The user's language: every view re-renders in it, and the hub's messages follow. */
export function setLocale(l: Locale): void {
  chooseLocale(l);
  setState({ locale: l });
}

/** The beep's mute, kept across reloads: the `m` key and the feed's sound button share it. */
export function toggleMuted(): void {
  const muted = !state.muted;
  localStorage.setItem('vigil.muted', muted ? '1' : '0');
  setState({ muted });
}

const MAX_FEED = 300;

function fromDto(a: any): FeedAlarm {
  return {
    id: a.id, site: a.site, camera: a.camera, zone: a.zone, kind: a.kind, state: a.state, severity: a.severity,
    capturedAtMs: Date.parse(a.capturedAt), incidentId: a.incidentId ?? null, message: a.message, density: a.density,
    snapshot: a.alarm?.snapshot ?? null, outcome: a.outcome, ackedBy: a.ackedBy ?? null, payload: a.alarm,
  };
}

const role = () => state.user?.role ?? '';

export async function loadAlarms(): Promise<void> {
  if (!may(role(), 'alarms.read')) return;
  const { alarms } = await api<{ alarms: any[] }>('/api/alarms?limit=200');
  setState({ alarms: alarms.map(fromDto) });
}

export async function loadIncidents(): Promise<void> {
  if (!may(role(), 'incidents.read')) return;
  const { incidents } = await api<{ incidents: any[] }>('/api/incidents?limit=200');
  setState({ incidents });
}

export async function loadSites(): Promise<void> {
  const { sites } = await api<{ sites: any[] }>('/api/live/sites');
  setState({ sites });
}

export async function loadLive(): Promise<void> {
  const [c, z] = await Promise.all([api<{ cameras: any[]; edges: any[] }>('/api/live/cameras'), api<{ zones: any[] }>('/api/live/zones')]);
  setState({ cameras: c.cameras, edges: c.edges ?? [], zones: z.zones });
}

/** Shelves, out-of-service marks and flood summaries: what the feed does not show one by one. */
export async function loadSuppressions(): Promise<void> {
  if (!may(role(), 'alarms.read')) return;
  const [s, f] = await Promise.all([api<{ suppressions: any[] }>('/api/suppressions'), api<{ floods: any[] }>('/api/alarms/floods')]);
  setState({ suppressions: s.suppressions, floods: f.floods });
}

export async function loadEscalations(): Promise<void> {
  if (!may(role(), 'incidents.read')) return;
  const { escalations } = await api<{ escalations: any[] }>('/api/escalations');
  const before = new Set(state.escalations.map((e) => e.incident.id));
  setState({ escalations });
  // Loud for whoever it is escalated to: a new escalation sounds (unless muted) and the banner flashes.
  if (may(role(), 'plan.activate') && !state.muted && escalations.some((e) => !before.has(e.incident.id))) beep();
}

/** Units from hub-ops' API (live status, readiness) when it answers, else from the site configs. */
export async function loadUnits(): Promise<void> {
  try {
    const body = await api<any>('/api/units');
    const list = Array.isArray(body) ? body : body.units;
    if (Array.isArray(list)) { setState({ units: list, unitsFromHub: true }); return; }
  } catch { /* not served (yet) or not for this role */ }
  setState((s) => ({ units: s.sites.flatMap((site) => site.units.map((u: any) => ({ ...u, site: site.id, status: 'unknown' }))), unitsFromHub: false }));
}

let refreshTimer: ReturnType<typeof setTimeout> | null = null;
function refreshSoon(): void {
  // Bursts of events (a crowd episode) coalesce into one reload.
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void loadIncidents().catch(quietly('incident refresh'));
    void loadUnits();
    void loadEscalations().catch(quietly('escalation refresh'));
  }, 250);
}

async function enrich(id: string): Promise<void> {
  if (!may(role(), 'alarms.read')) return;
  try {
    const { alarm } = await api<{ alarm: any }>(`/api/alarms/${encodeURIComponent(id)}`);
    const full = fromDto(alarm);
    setState((s) => ({ alarms: s.alarms.map((a) => (a.id === id ? { ...full, fresh: a.fresh } : a)) }));
  } catch { /* the row stays as the event described it */ }
}

const STREAM_TYPES = ['hello', 'alarm.ingested', 'alarm.flood', 'alarm.acknowledged', 'suppression.changed', 'incident.created', 'incident.updated',
  'dispatch.sent', 'dispatch.updated', 'dispatch.not_responding', 'unit.updated', 'report.submitted', 'drill.updated', 'warning.raised', 'notification.updated'];

export function onStreamEvent(type: string, payload: any): void {
  const d = payload?.data ?? {};
  if (type === 'alarm.ingested') {
    // Summarised, shelved or out of service: stored and counted, not shown one by one.
    if (d.suppressed) return;
    const a: FeedAlarm = { id: d.id, site: d.site, camera: d.camera, zone: d.zone, kind: d.kind, state: d.state, severity: d.severity, capturedAtMs: d.capturedAtMs, incidentId: d.incidentId, outcome: d.outcome, fresh: true };
    if (state.alarms.some((x) => x.id === a.id)) return;
    setState((s) => ({ alarms: [a, ...s.alarms].slice(0, MAX_FEED) }));
    if (shouldBeep(a) && !state.muted) beep();
    void enrich(a.id);
    return;
  }
  if (type === 'alarm.flood' || type === 'suppression.changed') { void loadSuppressions().catch(quietly('suppression refresh')); return; }
  if (type === 'alarm.acknowledged') {
    const ids = new Set<string>(d.ids ?? []);
    setState((s) => ({ alarms: s.alarms.map((a) => (ids.has(a.id) ? { ...a, ackedBy: d.actor } : a)) }));
    if (d.incidentId) setState((s) => ({ incidentRev: { ...s.incidentRev, [d.incidentId]: (s.incidentRev[d.incidentId] ?? 0) + 1 } }));
    return;
  }
  if (type.startsWith('incident.')) {
    const id = d.incident?.id;
    if (id) setState((s) => ({ incidentRev: { ...s.incidentRev, [id]: (s.incidentRev[id] ?? 0) + 1 } }));
    refreshSoon();
    return;
  }
  if (type.startsWith('dispatch.') || type.startsWith('unit.') || type.startsWith('report.') || type.startsWith('drill.') || type.startsWith('warning.') || type.startsWith('notification.')) {
    const id = d.dispatch?.incidentId ?? d.incidentId ?? d.detail?.incident;
    if (typeof id === 'string') setState((s) => ({ incidentRev: { ...s.incidentRev, [id]: (s.incidentRev[id] ?? 0) + 1 } }));
    refreshSoon();
  }
}

let stopStream: (() => void) | null = null;
let timers: ReturnType<typeof setInterval>[] = [];

/** Starts everything a logged-in dashboard keeps fresh: the SSE stream, the clock tick and the live poll. */
export async function startSession(): Promise<void> {
  stopSession();
  stopStream = openStream(STREAM_TYPES, onStreamEvent, (open) => {
    setState({ connected: open });
    // After a reconnect, reload what the stream may have missed.
    if (open) { void loadAlarms().catch(quietly('alarm reload')); void loadIncidents().catch(quietly('incident reload')); void loadEscalations().catch(quietly('escalation reload')); }
  });
  timers.push(setInterval(() => setState({ now: Date.now() }), 1000));
  timers.push(setInterval(() => { void loadLive().catch(quietly('live refresh')); }, 5000));
  // A shelf runs out by itself: the list follows within a minute even without an event.
  timers.push(setInterval(() => { void loadSuppressions().catch(quietly('suppression refresh')); }, 60_000));
  try {
    await loadSites();
    await Promise.all([loadAlarms(), loadIncidents(), loadLive(), loadUnits(), loadSuppressions(), loadEscalations()]);
    setState({ error: null });
  } catch (err) {
    setState({ error: (err as Error).message });
  }
}

export function stopSession(): void {
  stopStream?.();
  stopStream = null;
  for (const t of timers) clearInterval(t);
  timers = [];
}
