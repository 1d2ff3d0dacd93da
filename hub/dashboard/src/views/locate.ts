import { centroid } from '../logic.ts';
import type { FeedAlarm } from '../store.ts';

/** Where an incident sits on its site's plan: its zone's map polygon, else the camera or sensor of one of its alarms. */
export function locateIncident(site: any, incident: { id: string; zone: string | null }, alarms: readonly FeedAlarm[]): { x: number; y: number } | null {
  if (!site) return null;
  if (incident.zone) {
    for (const c of site.cameras) {
      const z = c.zones.find((zz: any) => zz.id === incident.zone);
      if (z?.map) return centroid(z.map);
    }
  }
  const a = alarms.find((x) => x.incidentId === incident.id);
  if (a) {
    const cam = site.cameras.find((c: any) => c.id === a.camera);
    if (cam?.position) return cam.position;
    const sensor = site.sensors.find((x: any) => x.id === a.camera);
    if (sensor?.position) return sensor.position;
  }
  const sensorInZone = site.sensors.find((x: any) => x.zone && x.zone === incident.zone && x.position);
  return sensorInZone?.position ?? null;
}
