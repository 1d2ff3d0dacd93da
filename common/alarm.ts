import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors.ts';

/**
 * Alarm schema, version 1. The same schema validates at the edge before the
 * outbox and at the hub on ingest; `common/alarm.schema.json` is generated from it.
 */
export const ALARM_SCHEMA_VERSION = 1 as const;
/** Larger payloads are refused at the edge: alarms carry a snapshot reference, never image bytes. */
export const MAX_ALARM_BYTES = 16 * 1024;

/** Subject tokens: NATS forbids '.', '*', '>' and whitespace inside a token. */
export const token = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, "_" or "-"');

export const CORE_KINDS = ['crowd.density', 'object.abandoned', 'camera.offline', 'camera.frozen', 'camera.tamper'] as const;
export const alarmKind = z.union([
  z.enum(CORE_KINDS),
  z.string().regex(/^sensor\.[a-z][a-z0-9_]{0,31}$/, 'must be a core kind or sensor.<type>'),
]);
export type AlarmKind = z.infer<typeof alarmKind>;

export const alarmState = z.enum(['raised', 'cleared']);
export const severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof severity>;
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const losLevel = z.enum(['A', 'B', 'C', 'D', 'E', 'F']);
export type LevelOfService = z.infer<typeof losLevel>;

const bbox = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const crowdMeasures = z.object({
  count: z.number().nonnegative(),
  /** persons per m², smoothed */
  density: z.number().nonnegative(),
  los: losLevel,
  /** which estimator produced `count`: detections, tiled, heatmap, occupancy… */
  method: z.string().max(32),
  confidence: z.number().min(0).max(1),
  /** persons/m² per minute */
  trendPerMin: z.number(),
  /** seconds until the next threshold at the current rate; null when not approaching one */
  etaNextThresholdS: z.number().nullable(),
  level: z.enum(['warning', 'critical']),
  threshold: z.number(),
  areaM2: z.number().positive(),
});

export const objectMeasures = z.object({
  bbox,
  /** COCO label when the detector recognised it; null for an unknown object */
  class: z.string().max(32).nullable(),
  dwellSeconds: z.number().nonnegative(),
  confidence: z.number().min(0).max(1),
  objectId: z.string().max(64),
});

export const healthMeasures = z.object({
  reason: z.string().max(200),
  /** seconds the condition has held */
  forSeconds: z.number().nonnegative().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
});

export const sensorMeasures = z.object({
  sensorId: z.string().max(64),
  type: z.string().max(32),
  source: z.enum(['onvif', 'webhook', 'nats']),
  payload: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export const snapshotRef = z.object({
  /** Object Store bucket and object name, or a local path for replay */
  bucket: z.string().max(64),
  name: z.string().max(256),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  blurred: z.boolean().default(false),
});

export const alarmSchema = z.object({
  v: z.literal(ALARM_SCHEMA_VERSION),
  id: z.string().min(8).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'must be letters, digits, ".", "_", ":" or "-"'),
  kind: alarmKind,
  state: alarmState,
  severity,
  site: token,
  /** camera id, or for a non-camera sensor the sensor id */
  camera: token,
  zone: z.string().max(64).nullable(),
  /** raised and cleared alarms of one occurrence share an episode id */
  episode: z.string().min(1).max(128),
  /** wall-clock capture time of the evidence frame (or sensor reading), ISO 8601 */
  capturedAt: z.iso.datetime({ offset: true }),
  /** position in the media in seconds (replay, files); null for live sources that have none */
  mediaTime: z.number().nonnegative().nullable(),
  edge: z.string().min(1).max(64),
  message: z.string().max(500).optional(),
  crowd: crowdMeasures.optional(),
  object: objectMeasures.optional(),
  health: healthMeasures.optional(),
  sensor: sensorMeasures.optional(),
  snapshot: snapshotRef.nullable().optional(),
}).superRefine((a, ctx) => {
  const need = a.kind === 'crowd.density' ? 'crowd' : a.kind === 'object.abandoned' ? 'object' : a.kind.startsWith('camera.') ? 'health' : 'sensor';
  if (a[need] === undefined) ctx.addIssue({ code: 'custom', path: [need], message: `required for kind ${a.kind}` });
});

export type Alarm = z.infer<typeof alarmSchema>;
export type AlarmInput = z.input<typeof alarmSchema>;

/** Validates an alarm object, throwing a ValidationError that names the first bad field. */
export function parseAlarm(value: unknown): Alarm {
  const r = alarmSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(issue.path.join('.') || 'alarm', issue.message, { cause: r.error });
  }
  return r.data;
}

/** Decodes and validates a wire payload; refuses oversized or non-JSON bodies with a clear error. */
export function decodeAlarm(bytes: Uint8Array): Alarm {
  if (bytes.byteLength > MAX_ALARM_BYTES) throw new ValidationError('payload', `${bytes.byteLength} bytes exceeds the ${MAX_ALARM_BYTES}-byte limit`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new ValidationError('payload', 'is not valid JSON', { cause: err });
  }
  return parseAlarm(value);
}

export function encodeAlarm(alarm: Alarm): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(parseAlarm(alarm)));
  if (bytes.byteLength > MAX_ALARM_BYTES) throw new ValidationError('payload', `${bytes.byteLength} bytes exceeds the ${MAX_ALARM_BYTES}-byte limit`);
  return bytes;
}

/** Alarm ids sort by time and are unique across edges, so they serve as the JetStream msgID. */
export function newAlarmId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomUUID()}`;
}

/**
 * The alarm schema as JSON Schema (draft 2020-12), for common/alarm.schema.json
 * (written by common/gen-alarm-schema.ts). The superRefine rule, which zod
 * cannot export, is spelled out as if/then clauses: each kind requires its
 * measures block.
 */
export function alarmJsonSchema(): object {
  const base = z.toJSONSchema(alarmSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  const requires = (kind: object, field: string) => ({ if: { properties: { kind }, required: ['kind'] }, then: { required: [field] } });
  const { $schema, ...rest } = base;
  return {
    $schema,
    $id: 'https://vigil.local/schemas/alarm-v1.json',
    title: 'Vigil alarm',
    description: `Alarm schema v${ALARM_SCHEMA_VERSION}, published on vigil.alarm.<site>.<camera>.<kind> (JetStream msgID = id). At most ${MAX_ALARM_BYTES} bytes of JSON. Generated from common/alarm.ts; do not edit.`,
    ...rest,
    allOf: [
      requires({ const: 'crowd.density' }, 'crowd'),
      requires({ const: 'object.abandoned' }, 'object'),
      requires({ pattern: '^camera\\.' }, 'health'),
      requires({ pattern: '^sensor\\.' }, 'sensor'),
    ],
  };
}
