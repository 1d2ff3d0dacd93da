import { z } from 'zod';
import { token } from '../alarm.ts';
import { secretSchema } from './secret.ts';
import { zoneSchema, abandonedSchema, abandonedOverrideSchema } from './zone.ts';
import { loadConfigFile } from './load.ts';
import { alarmPolicySchema } from './alarm-policy.ts';
import { localNames } from './local-names.ts';

const mapPoint = z.object({ x: z.number(), y: z.number(), lat: z.number().min(-90).max(90).optional(), lon: z.number().min(-180).max(180).optional() }).strict();

export const cameraSourceSchema = z.union([
  z.object({ file: z.string().min(1), loop: z.boolean().default(false), realtime: z.boolean().default(true) }).strict(),
  z.object({ rtsp: z.string().regex(/^rtsps?:\/\//, 'must be an rtsp:// or rtsps:// URL'), user: z.string().optional(), password: secretSchema.optional() }).strict(),
  z.object({
    onvif: z.object({
      host: z.string().min(1),
      port: z.number().int().positive().default(80),
      path: z.string().default('/onvif/device_service'),
      user: z.string().optional(),
      password: secretSchema.optional(),
      /** profile token or index; the first profile by default */
      profile: z.union([z.string(), z.number().int().min(0)]).optional(),
      events: z.boolean().default(true),
    }).strict(),
  }).strict(),
]);

export const healthSchema = z.object({
  offlineS: z.number().positive().default(10),
  frozenS: z.number().positive().default(10),
  tamper: z.boolean().default(true),
}).strict();

export const cameraSchema = z.object({
  id: token,
  name: z.string().optional(),
  names: localNames,
  source: cameraSourceSchema,
  /** where the camera stands on the site map */
  position: mapPoint.optional(),
  detect: z.object({
    fps: z.number().positive().max(30).optional(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
  }).strict().prefault({}),
  zones: z.array(zoneSchema).default([]),
  /** this camera's abandoned-object settings over the site's (exclusion masks: `exclude`); zones override both */
  abandoned: abandonedOverrideSchema.optional(),
  health: healthSchema.prefault({}),
}).strict();

export const sensorSchema = z.object({
  id: token,
  type: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  name: z.string().optional(),
  names: localNames,
  zone: z.string().optional(),
  position: mapPoint.optional(),
  via: z.enum(['webhook', 'nats', 'onvif']),
  /** per-sensor token for the webhook path */
  token: secretSchema.optional(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
}).strict();

const shiftSchema = z.object({
  name: z.string().min(1),
  /** HH:MM in the site's time zone */
  start: z.string().regex(/^\d\d:\d\d$/),
  end: z.string().regex(/^\d\d:\d\d$/),
  onDuty: z.array(z.string().min(1)),
  leader: z.string().min(1),
}).strict();

export const unitSchema = z.object({
  id: token,
  name: z.string().min(1),
  names: localNames,
  members: z.array(z.object({ id: z.string().min(1), name: z.string().min(1), role: z.string().optional() }).strict()),
  roster: z.array(shiftSchema).default([]),
  equipment: z.array(z.string()).default([]),
  position: mapPoint,
  status: z.enum(['available', 'dispatched', 'en_route', 'on_scene', 'unavailable', 'off_duty']).default('available'),
}).strict();

export const siteSchema = z.object({
  site: z.object({
    id: token,
    name: z.string().min(1),
    names: localNames,
    /** IANA zone: rosters, drills, report times and the dashboard's clocks are in it */
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('UTC'),
    map: z.object({
      /** plan image, relative to this file */
      image: z.string().optional(),
      /** map units are metres unless a scale is given */
      widthM: z.number().positive(),
      heightM: z.number().positive(),
      pixelsPerMeter: z.number().positive().optional(),
    }).strict().optional(),
    /** blur person boxes in stored snapshots */
    blurPersons: z.boolean().default(false),
    /**
     * The edges that serve this site. When given, the hub's live view ignores
     * heartbeats from any other edge id; when not, it keeps at most 64 per site.
     */
    edges: z.array(token).max(256).optional(),
  }).strict(),
  abandoned: abandonedSchema.prefault({}),
  cameras: z.array(cameraSchema).default([]),
  sensors: z.array(sensorSchema).default([]),
  units: z.array(unitSchema).default([]),
  /** hub: which alarms open incidents, dispatch, activate the plan, escalate and notify (common/config/alarm-policy.ts) */
  policy: alarmPolicySchema.prefault({}),
}).strict().superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.cameras.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id ${c.id}` });
    seen.add(c.id);
    const zones = new Set<string>();
    c.zones.forEach((z, j) => {
      if (zones.has(z.id)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'zones', j, 'id'], message: `duplicate zone id ${z.id}` });
      zones.add(z.id);
    });
  });
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    // RangeError: not a zone this runtime knows
    return false;
  }
}

export type SiteConfig = z.infer<typeof siteSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type SensorConfig = z.infer<typeof sensorSchema>;
export type UnitConfig = z.infer<typeof unitSchema>;

export function loadSiteConfig(file: string): SiteConfig {
  return loadConfigFile(siteSchema, file);
}
