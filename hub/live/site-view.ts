import type { SiteConfig } from '../../common/config/site.ts';

/**
 * What the dashboard's map needs from a site config, and nothing more: camera
 * sources (with credentials) and sensor tokens never leave the hub.
 */
export function siteView(site: SiteConfig) {
  const map = site.site.map;
  return {
    id: site.site.id,
    name: site.site.name,
    names: site.site.names ?? null,
    timezone: site.site.timezone,
    /** the live view and snapshots blur persons */
    blurPersons: site.site.blurPersons,
    map: map ? { widthM: map.widthM, heightM: map.heightM, pixelsPerMeter: map.pixelsPerMeter ?? null, imageUrl: map.image ? `/api/sites/${encodeURIComponent(site.site.id)}/plan` : null } : null,
    cameras: site.cameras.map((c) => ({
      id: c.id,
      name: c.name ?? c.id,
      names: c.names ?? null,
      position: c.position ? { x: c.position.x, y: c.position.y } : null,
      zones: c.zones.map((z) => ({
        id: z.id, name: z.name ?? z.id, names: z.names ?? null, areaM2: z.areaM2, map: z.map ?? null,
        // image-space outline (source pixels), for the crowd picture
        polygon: z.polygon.map(([x, y]) => [x, y]),
        warningDensity: z.crowd.warningDensity, criticalDensity: z.crowd.criticalDensity,
      })),
    })),
    sensors: site.sensors.map((s) => ({ id: s.id, type: s.type, name: s.name ?? s.id, names: s.names ?? null, zone: s.zone ?? null, position: s.position ? { x: s.position.x, y: s.position.y } : null, severity: s.severity })),
    units: site.units.map((u) => ({ id: u.id, name: u.name, names: u.names ?? null, position: { x: u.position.x, y: u.position.y }, equipment: u.equipment, members: u.members, roster: u.roster })),
  };
}
export type SiteView = ReturnType<typeof siteView>;
