import type { Dispatch } from './dispatch-store.ts';
import type { OpsWarning } from './publisher.ts';

/**
 * hub-ops events on the hub bus. Drill traffic never travels as dispatch.* with
 * a unit route, because unit logins see their own unit's events on the stream
 * and a drill must stay unannounced; it goes out as drill.* to command roles only.
 */
declare module '../events.ts' {
  interface HubEventMap {
    'dispatch.sent': { dispatch: Dispatch; rank: number; reason: 'auto' | 'manual' | 'escalation' | 'top_up' };
    'dispatch.updated': { dispatch: Dispatch; from: string };
    'dispatch.not_responding': { dispatch: Dispatch; replacedBy: string | null };
    'unit.updated': { unit: string; site: string; status: string };
    'report.submitted': { incidentId: string; kind: string; late: boolean };
    'drill.updated': { drillId: string; unit: string; state: string };
    'warning.raised': OpsWarning;
  }
}
export {};
