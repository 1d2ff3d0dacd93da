import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * ops_warnings rows: one per overdue item, its key making the warning fire
 * once across hub replicas. Whoever does the overdue thing (submits the
 * report, arrives on scene, acknowledges the incident) marks it resolved here.
 */
export async function resolveWarning(db: Kysely<Database> | Transaction<Database>, key: string, at: number): Promise<void> {
  await db.updateTable('ops_warnings').set({ resolved_at_ms: at }).where('key', '=', key).where('resolved_at_ms', 'is', null).execute();
}

export const warningKey = {
  report: (kind: 'first' | 'written', incidentId: string) => `report.${kind}:${incidentId}`,
  onScene: (dispatchId: string) => `dispatch.on_scene_overdue:${dispatchId}`,
  unacknowledgedOrder: (dispatchId: string) => `dispatch.unacknowledged:${dispatchId}`,
  unacknowledgedIncident: (incidentId: string) => `incident.unacknowledged:${incidentId}`,
} as const;
