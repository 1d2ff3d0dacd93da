export interface Placed {
  id: string;
  x: number;
  y: number;
}

export interface Ranked<U> {
  unit: U;
  /** map units (metres unless the map says otherwise) */
  distance: number;
  etaS: number;
}

/**
 * Orders candidates by estimated time of arrival (distance / speed), nearest
 * first on a tie, then by id so that the same inputs always pick the same units.
 */
export function rankByEta<U extends Placed>(units: readonly U[], at: { x: number; y: number }, speedOf: (id: string) => number): Ranked<U>[] {
  return units
    .map((unit) => {
      const distance = Math.hypot(unit.x - at.x, unit.y - at.y);
      return { unit, distance, etaS: distance / speedOf(unit.id) };
    })
    .sort((a, b) => a.etaS - b.etaS || a.distance - b.distance || a.unit.id.localeCompare(b.unit.id));
}
