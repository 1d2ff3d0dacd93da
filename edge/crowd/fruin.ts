import type { LevelOfService } from '../../common/alarm.ts';

/**
 * Fruin's level of service for WALKWAYS (J. J. Fruin, "Pedestrian Planning and
 * Design", 1971, table for walkways), given in ft² per pedestrian:
 * A ≥ 35, B 25–35, C 15–25, D 10–15, E 5–10, F < 5. Converted to persons/m²
 * (1 ft² = 0.0929 m²), the upper density bound of each level is:
 * A < 0.31, B < 0.43, C < 0.72, D < 1.08, E < 2.17, F ≥ 2.17.
 * The walkway table (not the stairway or queueing tables) fits open
 * concourses, where people move; queue areas would use Fruin's queueing table.
 */
export const FRUIN_WALKWAY: readonly { los: LevelOfService; below: number }[] = Object.freeze([
  { los: 'A', below: 1 / (35 * 0.09290304) },
  { los: 'B', below: 1 / (25 * 0.09290304) },
  { los: 'C', below: 1 / (15 * 0.09290304) },
  { los: 'D', below: 1 / (10 * 0.09290304) },
  { los: 'E', below: 1 / (5 * 0.09290304) },
]);

export function fruinLevel(densityPerM2: number): LevelOfService {
  for (const row of FRUIN_WALKWAY) if (densityPerM2 < row.below) return row.los;
  return 'F';
}
