import { z } from 'zod';
import { ValidationError } from '../../common/errors.ts';

/** Readings larger than this are refused: a sensor reports a state, not a document. */
export const MAX_READING_BYTES = 4 * 1024;

const scalar = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

/** One reading from a sensor, the same body on the webhook and on NATS. */
export const sensorReadingSchema = z.object({
  state: z.enum(['active', 'inactive']),
  value: z.union([z.number(), z.string().max(256), z.boolean()]).optional(),
  payload: z.record(z.string().max(64), scalar).refine((p) => Object.keys(p).length <= 32, 'at most 32 entries').optional(),
  /** when the sensor saw it, ISO 8601 with offset; the receive time by default */
  at: z.iso.datetime({ offset: true }).optional(),
}).strict();

export type SensorReading = z.infer<typeof sensorReadingSchema>;

/** Checks a parsed body, throwing a ValidationError that names the first bad field. */
export function parseSensorReading(value: unknown): SensorReading {
  const r = sensorReadingSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ValidationError(issue.path.map(String).join('.') || 'body', issue.message, { cause: r.error });
  }
  return r.data;
}

/** Decodes JSON bytes or text and checks them. */
export function decodeSensorReading(data: Uint8Array | string): SensorReading {
  const size = typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength;
  if (size > MAX_READING_BYTES) throw new ValidationError('body', `${size} bytes exceeds the ${MAX_READING_BYTES}-byte limit`);
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch (err) {
    throw new ValidationError('body', 'is not valid JSON', { cause: err });
  }
  return parseSensorReading(value);
}
