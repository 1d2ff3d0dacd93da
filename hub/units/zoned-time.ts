/**
 * Wall-clock parts in a site's time zone. Rosters and drill working hours are
 * written in local time, while every instant in the hub is epoch milliseconds.
 */
export interface ZonedParts {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function zonedParts(at: number, timeZone: string): ZonedParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour) % 24, minute: Number(parts.minute), weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
  };
}

/** Minutes since local midnight. */
export function localMinutes(at: number, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  return p.hour * 60 + p.minute;
}

/** "YYYY-MM" of the instant in the zone. */
export function monthKey(at: number, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** The instant at which a local wall time occurs (the later one across a DST gap is fine here). */
export function zonedToEpoch(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  // Two rounds settle the offset except inside a DST transition, where either side will do.
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(guess, timeZone);
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wall - seen;
  }
  return guess;
}

/** Start of the local month containing `at`, and of the month after it. */
export function monthBounds(at: number, timeZone: string): { start: number; end: number; key: string } {
  const p = zonedParts(at, timeZone);
  const start = zonedToEpoch(p.year, p.month, 1, 0, 0, timeZone);
  const end = p.month === 12 ? zonedToEpoch(p.year + 1, 1, 1, 0, 0, timeZone) : zonedToEpoch(p.year, p.month + 1, 1, 0, 0, timeZone);
  return { start, end, key: `${p.year}-${String(p.month).padStart(2, '0')}` };
}

/** Parses "HH:MM" into minutes since midnight. */
export function hhmm(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Adds calendar months in UTC terms; a drill interval of "6 months" does not need the site zone. */
export function addMonths(at: number, months: number): number {
  const d = new Date(at);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime();
}
