import type { Kysely } from 'kysely';
import type { Database, IncidentRow, IncidentStatus } from '../store/schema.ts';
import { storeCall } from '../units/unit-store.ts';

/**
 * What dispatch needs from hub-core's incidents: read one, and move it along
 * its lifecycle (the incidents service checks the transition, audits it and
 * emits incident.updated). A seam so that dispatch never writes incident rows itself.
 */
export interface IncidentPort {
  get(id: string): Promise<IncidentRow | null>;
  transition(id: string, to: IncidentStatus, actor: string, note?: string): Promise<void>;
}

export const FINAL_INCIDENT: ReadonlySet<string> = new Set(['resolved', 'closed', 'false_alarm', 'cancelled']);

export async function readIncident(db: Kysely<Database>, id: string): Promise<IncidentRow | null> {
  return storeCall(`read incident ${id}`, async () => (await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst()) ?? null);
}

/** The latest alarm of an incident: the freshest snapshot, camera and measures for the order. */
export async function latestAlarm(db: Kysely<Database>, incidentId: string): Promise<{ camera: string; zone: string | null; payload: string } | null> {
  return storeCall(`read alarms of incident ${incidentId}`, async () => (await db.selectFrom('incident_alarms')
    .innerJoin('alarms', 'alarms.id', 'incident_alarms.alarm_id')
    .select(['alarms.camera', 'alarms.zone', 'alarms.payload'])
    .where('incident_alarms.incident_id', '=', incidentId)
    .orderBy('alarms.captured_at_ms', 'desc')
    .limit(1)
    .executeTakeFirst()) ?? null);
}

/** Adapts hub-core's incident service to the port. */
export function incidentPortFrom(service: {
  getRow(id: string): Promise<IncidentRow>;
  transition(id: string, req: { to: IncidentStatus; actor: string; note?: string | null }): Promise<unknown>;
}): IncidentPort {
  return {
    async get(id) {
      try {
        return await service.getRow(id);
      } catch (err) {
        if ((err as { code?: string }).code === 'NOT_FOUND') return null;
        throw err;
      }
    },
    async transition(id, to, actor, note) {
      await service.transition(id, { to, actor, note: note ?? null });
    },
  };
}
