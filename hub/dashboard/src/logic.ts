/**
 * Pure view logic: formatters, LOS colours and labels, filters, countdowns and
 * the nearest-unit order. No DOM here, so that vitest checks it directly. Words
 * come from the catalogue through the Translator each function is given.
 */
import { TRANSITIONS } from '../../incidents/lifecycle.ts';
import { mayTransition, roleHas, type Permission } from '../../api/roles.ts';
import { FRUIN_WALKWAY } from '../../../edge/crowd/fruin.ts';
import { matchAbandoned, type Mark as AbandonedMark } from '../../../edge/scoring/abandoned-match.ts';
import type { Translator } from '../../i18n/catalogue.ts';
import { kindLabel as describeKind, severityLabel as describeSeverity, statusLabel as describeStatus } from '../../i18n/describe.ts';

export type Los = 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
export const LOS_LEVELS: readonly Los[] = ['A', 'B', 'C', 'D', 'E', 'F'];

/** Fruin's walkway levels as density bands, from the edge's own table (edge/crowd/fruin.ts). */
export const FRUIN_BANDS: readonly { los: Los; from: number; to: number }[] = LOS_LEVELS.map((los, i) => ({
  los,
  from: i === 0 ? 0 : FRUIN_WALKWAY[i - 1]!.below,
  to: i < FRUIN_WALKWAY.length ? FRUIN_WALKWAY[i]!.below : Infinity,
}));

export function losOf(density: number): Los {
  return (FRUIN_BANDS.find((b) => density < b.to) ?? FRUIN_BANDS[5]!).los;
}

/** Colours run green to dark red; the letter and a word always go with them. */
const LOS_COLOUR: Record<Los, string> = { A: '#2e7d32', B: '#7cb342', C: '#f9a825', D: '#ef6c00', E: '#d84315', F: '#8e0000' };

export function losColour(los: Los | null | undefined): string {
  return los ? LOS_COLOUR[los] : '#78909c';
}

export function losLabel(t: Translator, los: Los | null | undefined): string {
  return los ? t.t('ui.los', { los, word: t.t(`los.${los}`) }) : t.t('ui.los.none');
}

/** Text colour that stays readable on the LOS fill. */
export function losTextColour(los: Los | null | undefined): string {
  return los === 'B' || los === 'C' ? '#000' : '#fff';
}

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITY_ICON: Record<Severity, string> = { info: 'ℹ', warning: '▲', critical: '⬣' };
export function severityLabel(t: Translator, s: string): string {
  const icon = SEVERITY_ICON[s as Severity] ?? '•';
  const word = describeSeverity(t, s);
  return `${icon} ${t.locale === 'en' ? word.toUpperCase() : word}`;
}

const KIND_ICON: Record<string, string> = { crowd: '⁂', object: '▣', camera: '◉', sensor: '◈' };

export function kindLabel(t: Translator, kind: string): string {
  return describeKind(t, kind);
}
export function kindIcon(kind: string): string {
  return KIND_ICON[kind.split('.')[0]!] ?? '•';
}

/** "4 s", "3 min 05 s", "2 h 10 min": short enough for a feed row, exact enough to act on. */
export function formatDuration(t: Translator, ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t.t('ui.dur.s', { s: String(s) });
  const m = Math.floor(s / 60);
  if (m < 60) return t.t('ui.dur.ms', { m: String(m), s: String(s % 60).padStart(2, '0') });
  const h = Math.floor(m / 60);
  if (h < 48) return t.t('ui.dur.hm', { h: String(h), m: String(m % 60).padStart(2, '0') });
  return t.t('ui.dur.dh', { d: String(Math.floor(h / 24)), h: String(h % 24) });
}

export function formatAge(t: Translator, thenMs: number, nowMs: number): string {
  return nowMs - thenMs < 1000 ? t.t('ui.age.justNow') : t.t('ui.age.ago', { duration: formatDuration(t, nowMs - thenMs) });
}

export function formatDensity(t: Translator, d: number | null | undefined): string {
  return d === null || d === undefined ? '—' : t.t('ui.density', { value: d < 1 ? d.toFixed(2) : d.toFixed(1) });
}

export interface Countdown {
  /** ms left; negative when overdue */
  leftMs: number;
  overdue: boolean;
  /** due within a quarter of an hour */
  urgent: boolean;
  text: string;
}

/** A deadline as the board shows it: "due in 42 min 10 s" or "OVERDUE by 3 min 00 s". */
export function countdown(t: Translator, dueMs: number, nowMs: number): Countdown {
  const leftMs = dueMs - nowMs;
  const overdue = leftMs < 0;
  return { leftMs, overdue, urgent: !overdue && leftMs <= 15 * 60_000, text: overdue ? t.t('ui.due.overdue', { duration: formatDuration(t, -leftMs) }) : t.t('ui.due.in', { duration: formatDuration(t, leftMs) }) };
}

export interface AlarmLike { site: string; camera: string; kind: string; severity: string; state?: string }
export interface AlarmFilter { site?: string; camera?: string; kind?: string; severity?: string }

/** An empty field matches everything; `kind` may be a family such as "sensor" or "camera". */
export function matchesFilter(a: AlarmLike, f: AlarmFilter): boolean {
  if (f.site && a.site !== f.site) return false;
  if (f.camera && a.camera !== f.camera) return false;
  if (f.kind && a.kind !== f.kind && a.kind.split('.')[0] !== f.kind) return false;
  if (f.severity && a.severity !== f.severity) return false;
  return true;
}

export function filterAlarms<A extends AlarmLike>(alarms: readonly A[], f: AlarmFilter): A[] {
  return alarms.filter((a) => matchesFilter(a, f));
}

/** The sound is for new trouble only: a critical alarm being raised, not one clearing. */
export function shouldBeep(a: { severity: string; state: string }): boolean {
  return a.severity === 'critical' && a.state === 'raised';
}

export interface PlacedUnit { id: string; position: { x: number; y: number }; status?: string; ready?: boolean }
export interface NearUnit<U> { unit: U; distance: number; etaS: number }

/**
 * Units nearest a point by straight-line distance, as the dispatcher ranks
 * them; ETA at `speed` map units per second (1.5 m/s by default, a brisk walk).
 */
export function nearestUnits<U extends PlacedUnit>(units: readonly U[], at: { x: number; y: number }, speed = 1.5, speedOf?: (id: string) => number | null | undefined): NearUnit<U>[] {
  return units
    .map((unit) => {
      const distance = Math.hypot(unit.position.x - at.x, unit.position.y - at.y);
      return { unit, distance, etaS: distance / (speedOf?.(unit.id) ?? speed) };
    })
    .sort((a, b) => a.etaS - b.etaS || a.distance - b.distance || a.unit.id.localeCompare(b.unit.id));
}

export function centroid(poly: readonly (readonly [number, number])[]): { x: number; y: number } {
  return { x: poly.reduce((s, p) => s + p[0], 0) / poly.length, y: poly.reduce((s, p) => s + p[1], 0) / poly.length };
}

export function actionLabel(t: Translator, to: string): string {
  return t.lookup(`ui.action.${to}`) ?? describeStatus(t, to);
}

/** Lifecycle and roles come from the hub's own tables (hub/incidents/lifecycle.ts, hub/api/roles.ts). */
export function mayStep(role: string, to: string, assignedRole?: string | null): boolean {
  return mayTransition(role, to, assignedRole);
}

/** Whether the login's role holds a permission of the hub's one role matrix. */
export function may(role: string, permission: Permission): boolean {
  return roleHas(role, permission);
}

/** The lifecycle buttons a login sees for an incident: allowed next steps its role may take. */
export function actionsFor(status: string, role: string, assignedRole?: string | null): string[] {
  // Going back from dispatched to acknowledged is the hub's own move when every unit declines.
  return ((TRANSITIONS as Record<string, readonly string[]>)[status] ?? []).filter((to) => mayStep(role, to, assignedRole) && !(status === 'dispatched' && to === 'acknowledged'));
}

/** Dispatching a unit (picking one from the nearest list) is a triage step. */
export function mayDispatch(role: string): boolean {
  return mayStep(role, 'dispatched');
}

export const OPEN_STATUSES = new Set(['open', 'acknowledged', 'dispatched', 'on_scene']);

export function statusLabel(t: Translator, s: string): string {
  return describeStatus(t, s);
}

export const CAMERA_STATUS_ICON: Record<string, string> = { ok: '✔', offline: '✖', frozen: '❄', tamper: '⚠', stale: '?', unknown: '?', starting: '…', out_of_service: '⦸' };
/** An edge's own status word is data: shown as it came when the catalogue has no word for it. */
export function cameraStatusLabel(t: Translator, status: string): string {
  return `${CAMERA_STATUS_ICON[status] ?? '•'} ${t.lookup(`ui.camStatus.${status}`) ?? status}`;
}

export interface TruthObject { id: string; abandonAt: number; removedAt?: number | null; bbox: [number, number, number, number] }
export interface ReplayAlarm { id: string; kind: string; state: string; episode?: string; mediaTime: number | null; object?: { bbox: [number, number, number, number] } }
export type Mark = AbandonedMark<ReplayAlarm, TruthObject>;

/**
 * Timeline markers for a replay scored against truth, by the same rule as the
 * CLI's summary (edge/scoring/abandoned-match.ts), at the dwell the replay ran with.
 */
export function truthMarks(alarms: readonly ReplayAlarm[], truth: readonly TruthObject[], dwellS: number): Mark[] {
  return matchAbandoned(alarms, truth, dwellS).marks;
}

/** Position on a timeline of `duration` seconds, as a percentage clamped to the bar. */
export function timelinePercent(t: number, duration: number): number {
  if (!(duration > 0)) return 0;
  return Math.min(100, Math.max(0, (t / duration) * 100));
}
