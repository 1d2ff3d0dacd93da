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
  /**
   * raise objects no person was seen to leave (a static region that never
   * separated from anyone): less certain, so off-able and with a longer dwell
   */
  unowned: z.boolean().default(true),
  unownedDwellS: z.number().positive().default(60),
  /** the owner (or anyone, for an unowned object) within this many metres attends it; metres come from the zone's area and polygon */
  attendRadiusM: z.number().positive().default(2),
  /** the pixel fallback where no zone calibrates the view: a person within this many source pixels attends it */
  attendRadiusPx: z.number().positive().default(90),
  /** object size limits in metres (shortest and longest side), where a zone calibrates the view */
  minSizeM: z.number().min(0).default(0.15),
  maxSizeM: z.number().positive().default(2.5),
  /** the pixel fallback of the size limits */
  minSizePx: z.number().min(0).default(12),
  maxSizePx: z.number().positive().default(300),
  /** 'zone': metres from the zone's areaM2 over its polygon; 'none': pixels (a zone whose area is a guess) */
  calibration: z.enum(['zone', 'none']).default('zone'),
  include: z.array(polygonSchema).optional(),
  exclude: z.array(polygonSchema).optional(),
}).strict();

/**
 * Overrides of the abandoned-object settings (a camera's or a zone's): only
 * what is written, so that a zone setting one key does not reset the others
 * to their defaults (`.partial()` would still fill in every default).
 */
export const abandonedOverrideSchema = z.object(Object.fromEntries(
  Object.entries(abandonedSchema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? v.unwrap() : v).optional()]),
)).strict() as unknown as z.ZodType<Partial<z.infer<typeof abandonedSchema>>>;

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
  abandoned: abandonedOverrideSchema.optional(),
}).strict();

export type ZoneConfig = z.infer<typeof zoneSchema>;
export type CrowdRules = z.infer<typeof crowdRulesSchema>;
export type AbandonedConfig = z.infer<typeof abandonedSchema>;
