import type { Analyzer } from '../types.ts';
import type { CameraConfig } from '../../common/config/site.ts';

export interface HealthAnalyzerOptions {
  camera: CameraConfig;
}

/** STUB (owned by the camera-health work): emits nothing yet. */
export function createHealthAnalyzer(_options: HealthAnalyzerOptions): Analyzer {
  return { name: 'health', process: () => [], tick: () => [] };
}
