import { z } from 'zod';
import { ROLES } from './roles.ts';

/**
 * The response shapes the API documents (openapi.ts) and the route tests check
 * real responses against. Times are ISO strings; an absent time is null. The
 * records are strict: a field added to a view and not here fails those tests.
 */
const time = z.string().describe('ISO 8601 time');
const maybeTime = time.nullable();

export const errorBody = z.object({
  error: z.string().describe('a stable code, the same in every language'),
  message: z.string().describe('in the request\'s language'),
  field: z.string().optional().describe('the bad field, on 400'),
});

export const okBody = z.object({ ok: z.literal(true) });

export const publicUser = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  unit: z.string().optional(),
  sites: z.array(z.string()).optional(),
});

export const tokenBody = z.object({
  token: z.string(), tokenType: z.literal('Bearer'), expiresAt: time,
  refreshToken: z.string(), refreshExpiresAt: time, user: publicUser,
});

const severity = z.enum(['info', 'warning', 'critical']);

export const alarm = z.strictObject({
  id: z.string(), site: z.string(), camera: z.string().nullable(), zone: z.string().nullable(), kind: z.string(),
  state: z.enum(['raised', 'cleared']), severity, episode: z.string().nullable(), edge: z.string().nullable(),
  capturedAt: time, receivedAt: time, mediaTime: z.number().nullable(), density: z.number().nullable(), message: z.string().nullable(),
  outcome: z.string(), suppressed: z.string().nullable().describe('why it was not presented (flood, shelved, out of service)'),
  ackedAt: maybeTime, ackedBy: z.string().nullable(),
  alarm: z.unknown().describe('the alarm as the edge published it (DESIGN.md alarm schema)'),
  incidentId: z.string().nullable().optional(),
});

export const incident = z.strictObject({
  id: z.string(), site: z.string(), zone: z.string().nullable(), kind: z.string(), status: z.string(), severity, title: z.string(),
  gathering: z.boolean(), openedAt: time, updatedAt: time, firstAlarmAt: maybeTime, lastAlarmAt: maybeTime,
  alarmCount: z.number(), peakDensity: z.number().nullable(), escalationLevel: z.number(),
  clearedAt: maybeTime, closedAt: maybeTime, version: z.number(), outcome: z.string(), assignedRole: z.string(),
  plan: z.object({ state: z.enum(['alarm_raised', 'activated']), level: z.string().nullable(), activatedAt: maybeTime, activatedBy: z.string().nullable(), note: z.string().nullable(), onSceneDueAt: maybeTime }),
  ackedAt: maybeTime, ackedBy: z.string().nullable(),
  allClearedAt: maybeTime.describe('every alarm has cleared: resolving is suggested'),
});

export const auditEntry = z.object({ id: z.union([z.number(), z.string()]), at: time, actor: z.string(), action: z.string(), entity: z.string(), entityId: z.string(), note: z.string().nullable(), data: z.unknown() });

export const dispatch = z.strictObject({
  id: z.string(), incident: z.string(), site: z.string(), unit: z.string(), kind: z.string(), severity: z.string(), state: z.string(),
  orderedBy: z.string(), distance: z.number().nullable(), etaS: z.number().nullable(), orderedAt: time, ackBy: maybeTime, ackedAt: maybeTime,
  enRouteAt: maybeTime, onSceneAt: maybeTime, onSceneBy: maybeTime, closedAt: maybeTime, replacedBy: z.string().nullable(),
  drill: z.boolean().optional().describe('shown to drill commanders, and to the unit once on scene'), drillId: z.string().nullable().optional(),
});

const readiness = z.object({ ready: z.boolean(), reasons: z.array(z.string()), why: z.array(z.object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) })), shift: z.string().nullable(), members: z.number(), onDuty: z.number(), leader: z.string().nullable() });

export const unit = z.strictObject({
  id: z.string(), site: z.string(), name: z.string(),
  members: z.array(z.object({ id: z.string(), name: z.string(), role: z.string().optional() })),
  roster: z.array(z.object({ name: z.string(), start: z.string(), end: z.string(), onDuty: z.array(z.string()), leader: z.string() })),
  equipment: z.array(z.string()),
  position: z.object({ x: z.number(), y: z.number(), lat: z.number().optional(), lon: z.number().optional() }),
  speed: z.number().describe('metres per second used for ETAs'), status: z.string(), statusAt: time, createdAt: time, updatedAt: time, readiness,
});

export const drill = z.strictObject({
  id: z.string(), site: z.string(), unitId: z.string(), month: z.string(), reason: z.enum(['due', 'random', 'manual']), scheduledAt: time, state: z.string(),
  startedAt: maybeTime, dispatchId: z.string().nullable(), ackedAt: maybeTime, onSceneAt: maybeTime, finishedAt: maybeTime,
  outcome: z.string().nullable(), ackS: z.number().nullable(), onSceneS: z.number().nullable(),
});

export const suppression = z.strictObject({
  id: z.string(), type: z.enum(['shelved', 'out_of_service']), site: z.string(), source: z.string(), sourceType: z.enum(['camera', 'sensor']),
  kind: z.string().nullable(), reason: z.string(), createdBy: z.string(), createdAt: time, until: maybeTime, endedAt: maybeTime, endedBy: z.string().nullable(),
});

export const reportDeadline = z.object({ kind: z.string(), dueAt: maybeTime, submittedAt: maybeTime, submittedBy: z.string().nullable(), overdue: z.boolean(), late: z.boolean().describe('submitted, but after the deadline') });

/** A string path parameter per name. */
export const idParams = z.object({ id: z.string().min(1) });

/** The records the document names once under components/schemas and refers to from each response. */
export const NAMED_SCHEMAS = z.registry<{ id: string }>();
for (const [id, schema] of Object.entries({ Error: errorBody, User: publicUser, Alarm: alarm, Incident: incident, AuditEntry: auditEntry, Dispatch: dispatch, Unit: unit, Drill: drill, Suppression: suppression, ReportDeadline: reportDeadline })) {
  NAMED_SCHEMAS.add(schema, { id });
}
