import type { SiteConfig } from '../../common/config/site.ts';

export interface MapLocation {
  x: number;
  y: number;
  lat?: number | undefined;
  lon?: number | undefined;
  /** what the point was taken from: zone, camera or sensor */
  from: string;
}

function centroid(poly: readonly (readonly [number, number])[]): { x: number; y: number } {
  // The vertex mean is close enough for "where to send people" and never falls outside a convex zone.
  const x = poly.reduce((s, p) => s + p[0], 0) / poly.length;
  const y = poly.reduce((s, p) => s + p[1], 0) / poly.length;
  return { x, y };
}

/**
 * Where on the site map an incident is: the zone's map polygon when it has one,
 * else the camera's position, else the sensor's (and then its zone's) position.
 * Null when the site config does not place it; automatic dispatch then waits for an operator.
 */
export function locateIncident(site: SiteConfig, camera: string, zone: string | null): MapLocation | null {
  const cam = site.cameras.find((c) => c.id === camera);
  if (cam) {
    const z = zone ? cam.zones.find((zz) => zz.id === zone) : undefined;
    if (z?.map) {
      const c = centroid(z.map);
      // lat/lon of a zone is not in the config; the camera's is the best nearby fix.
      return { ...c, lat: cam.position?.lat, lon: cam.position?.lon, from: `zone:${cam.id}/${z.id}` };
    }
    if (cam.position) return { x: cam.position.x, y: cam.position.y, lat: cam.position.lat, lon: cam.position.lon, from: `camera:${cam.id}` };
  }
  const sensor = site.sensors.find((s) => s.id === camera);
  if (sensor?.position) return { x: sensor.position.x, y: sensor.position.y, lat: sensor.position.lat, lon: sensor.position.lon, from: `sensor:${sensor.id}` };
  const zoneName = zone ?? sensor?.zone;
  if (zoneName) {
    for (const c of site.cameras) {
      const z = c.zones.find((zz) => zz.id === zoneName);
      if (z?.map) return { ...centroid(z.map), lat: c.position?.lat, lon: c.position?.lon, from: `zone:${c.id}/${z.id}` };
    }
  }
  return null;
}
