import type { Clock } from '../../common/clock.ts';
import type { HubDatabase } from '../store/database.ts';
import type { StoredAlarmSource } from './event-fanout.ts';

/** Recently stored alarms as alarm.ingested payloads, for the fan-out's sweep (any replica may have stored them). */
export function storedAlarms(store: HubDatabase, clock: Clock): StoredAlarmSource {
  return {
    now: () => clock.now(),
    async between(from, until) {
      const rows = await store.db.selectFrom('alarms')
        .leftJoin('incident_alarms', 'incident_alarms.alarm_id', 'alarms.id')
        .select(['alarms.id', 'alarms.site', 'alarms.camera', 'alarms.zone', 'alarms.kind', 'alarms.state', 'alarms.severity', 'alarms.captured_at_ms', 'incident_alarms.incident_id'])
        .where('alarms.received_at_ms', '>=', from)
        .where('alarms.received_at_ms', '<', until)
        .limit(5000)
        .execute();
      return rows.map((r) => ({
        id: r.id, site: r.site, camera: r.camera, zone: r.zone, kind: r.kind, state: r.state, severity: r.severity, capturedAtMs: Number(r.captured_at_ms),
        incidentId: r.incident_id ?? null, outcome: r.incident_id ? 'incident' : 'feed', suppressed: null,
      }));
    },
  };
}
