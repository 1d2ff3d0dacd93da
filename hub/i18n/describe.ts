import { localName, type Locale } from '../../common/locale.ts';
import type { Translator } from './catalogue.ts';

/**
 * Words for the hub's data in the reader's language: kinds, statuses, places
 * and alarm messages. Shared by the dashboard (which has site views) and the
 * hub (which has site configs): both fit SiteLike.
 */
interface Named { id: string; name?: string | null | undefined; names?: Partial<Record<Locale, string>> | null | undefined }
export interface SiteLike extends Named {
  cameras: readonly (Named & { zones: readonly Named[] })[];
  sensors: readonly Named[];
}

const nameOf = (x: Named | undefined, locale: Locale, fallback: string) => (x ? localName({ id: x.id, name: x.name ?? undefined, names: x.names ?? undefined }, locale) : fallback);

export function siteName(site: SiteLike | undefined, locale: Locale, fallback = ''): string {
  return nameOf(site, locale, fallback);
}

export function zoneName(site: SiteLike | undefined, zone: string | null | undefined, locale: Locale): string | null {
  if (!zone) return null;
  for (const c of site?.cameras ?? []) {
    const z = c.zones.find((x) => x.id === zone);
    if (z) return nameOf(z, locale, zone);
  }
  return zone;
}

/** A camera or a sensor, by the id an alarm carries in `camera`. */
export function sourceName(site: SiteLike | undefined, source: string, locale: Locale): string {
  const cam = site?.cameras.find((c) => c.id === source);
  if (cam) return nameOf(cam, locale, source);
  const sensor = site?.sensors.find((s) => s.id === source);
  return sensor ? nameOf(sensor, locale, source) : source;
}

export function kindLabel(t: Translator, kind: string): string {
  const known = t.lookup(`kind.${kind}`);
  if (known) return known;
  if (kind.startsWith('sensor.')) {
    const type = kind.slice(7);
    return t.t('kind.sensor', { type: t.lookup(`sensorType.${type}`) ?? type.replace(/_/g, ' ') });
  }
  return kind;
}

export function statusLabel(t: Translator, status: string): string {
  return t.lookup(`status.${status}`) ?? status.replace(/_/g, ' ');
}

export function severityLabel(t: Translator, severity: string): string {
  return t.lookup(`severity.${severity}`) ?? severity;
}

export function planLevelLabel(t: Translator, level: string | null | undefined): string {
  return level ? t.lookup(`plan.level.${level}`) ?? level : '';
}

/** "Site, zone Z (camera C)" for reports and notifications. */
export function placeOf(t: Translator, site: SiteLike | undefined, siteId: string, zone: string | null, camera: string | null): string {
  return t.t('report.draft.place', {
    site: siteName(site, t.locale, siteId),
    zone: zoneName(site, zone, t.locale) ?? 'none',
    camera: camera ? sourceName(site, camera, t.locale) : 'none',
  });
}

interface AlarmLike {
  kind: string;
  state: string;
  camera: string;
  zone: string | null;
  message?: string | null;
  crowd?: { density: number; los: string; level: string; threshold: number } | null;
  object?: { class: string | null; dwellSeconds: number } | null;
  health?: { reason: string } | null;
  sensor?: { sensorId: string } | null;
}

const fixed = (n: number) => (n < 1 ? n.toFixed(2) : n.toFixed(1));

/**
 * An alarm's message in the reader's language, built from its measures; the
 * edge's own text (English, for logs) only where the alarm carries nothing to
 * build from, such as a camera fault's reason.
 */
export function alarmMessage(t: Translator, site: SiteLike | undefined, a: AlarmLike): string {
  const zone = zoneName(site, a.zone, t.locale) ?? sourceName(site, a.camera, t.locale);
  if (a.kind === 'crowd.density' && a.crowd) {
    return a.state === 'raised'
      ? t.t('alarm.crowd', { zone, density: fixed(a.crowd.density), los: a.crowd.los, level: severityLabel(t, a.crowd.level), threshold: a.crowd.threshold })
      : t.t('alarm.crowd.cleared', { zone, density: fixed(a.crowd.density), los: a.crowd.los });
  }
  if (a.kind === 'object.abandoned') {
    if (a.state !== 'raised' || !a.object) return t.t('alarm.abandoned.cleared');
    const object = (a.object.class && t.lookup(`object.${a.object.class}`)) ?? (a.object.class && t.locale === 'en' ? a.object.class : t.t('alarm.object.unknown'));
    return t.t('alarm.abandoned', { object, seconds: Math.round(a.object.dwellSeconds) });
  }
  if (a.kind.startsWith('camera.')) {
    const camera = sourceName(site, a.camera, t.locale);
    // The edge's reason is English text: it adds detail for English readers only.
    const detail = a.health?.reason && t.locale === 'en' ? ` (${a.health.reason})` : '';
    return a.state === 'raised' ? t.t('alarm.camera', { camera, reason: kindLabel(t, a.kind) + detail }) : t.t('alarm.camera.cleared', { camera });
  }
  if (a.kind.startsWith('sensor.')) {
    return t.t('alarm.sensor', { sensor: sourceName(site, a.sensor?.sensorId ?? a.camera, t.locale), state: a.state });
  }
  return a.message ?? kindLabel(t, a.kind);
}

/** A site config in the shape the describers read (the dashboard's site views already have it). */
export function siteLike(cfg: { site: Named; cameras: SiteLike['cameras']; sensors: SiteLike['sensors'] } | undefined): SiteLike | undefined {
  return cfg ? { id: cfg.site.id, name: cfg.site.name, names: cfg.site.names, cameras: cfg.cameras, sensors: cfg.sensors } : undefined;
}
