import { z } from 'zod';
import { token } from '../alarm.ts';
import { localNames } from './local-names.ts';

const point = z.tuple([z.number(), z.number()]);
export const polygonSchema = z.array(point).min(3, 'a polygon needs at least 3 points');

/** Crowd-density rules. Defaults follow the issue: warning 2.0, critical 4.0 persons/m². */
export const crowdRulesSchema = z.object({
  enabled: z.boolean().default(true),
  warningDensity: z.number().positive().default(2.0),
  criticalDensity: z.number().positive().default(4.0),
  warningCount: z.number().int().positive().optional(),
  criticalCount: z.number().int().positive().optional(),
  /** fraction below a threshold that a value must fall before the alarm clears */
  hysteresis: z.number().min(0).max(0.9).default(0.15),
  /** seconds a threshold must be exceeded before raising */
  minDurationS: z.number().min(0).default(5),
  /** seconds below the clear level before clearing */
  clearDurationS: z.number().min(0).default(10),
  /** smoothing window for density, seconds */
  smoothingS: z.number().min(0).default(5),
}).strict().refine((c) => c.criticalDensity > c.warningDensity, { message: 'criticalDensity must exceed warningDensity', path: ['criticalDensity'] });

/** Abandoned-object settings; a zone may override the site defaults. */
export const abandonedSchema = z.object({
  enabled: z.boolean().default(true),
  dwellS: z.number().positive().default(30),
  graceS: z.number().min(0).default(3),
  /** a person within this many source pixels of the object attends it */
  attendRadiusPx: z.number().positive().default(90),
  minSizePx: z.number().min(0).default(12),
  maxSizePx: z.number().positive().default(300),
  include: z.array(polygonSchema).optional(),
  exclude: z.array(polygonSchema).optional(),
}).strict();

export const zoneSchema = z.object({
  id: token,
  name: z.string().optional(),
  names: localNames,
  /** polygon in the camera's source-pixel coordinates */
  polygon: polygonSchema,
  /** real floor area in m² */
  areaM2: z.number().positive(),
  /** the same zone on the site map, in map units */
  map: polygonSchema.optional(),
  crowd: crowdRulesSchema.prefault({}),
  abandoned: abandonedSchema.partial().optional(),
}).strict();

export type ZoneConfig = z.infer<typeof zoneSchema>;
export type CrowdRules = z.infer<typeof crowdRulesSchema>;
export type AbandonedConfig = z.infer<typeof abandonedSchema>;
