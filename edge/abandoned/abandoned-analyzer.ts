import type { Analyzer } from '../types.ts';
import type { CameraConfig } from '../../common/config/site.ts';
import type { AbandonedConfig } from '../../common/config/zone.ts';

export interface AbandonedAnalyzerOptions {
  camera: CameraConfig;
  /** site-wide defaults; zones may override */
  defaults: AbandonedConfig;
  /** `vigil replay --dwell S` */
  dwellOverrideS?: number;
}

/** STUB (owned by the abandoned-object work): emits nothing yet. */
export function createAbandonedAnalyzer(_options: AbandonedAnalyzerOptions): Analyzer {
  return { name: 'abandoned', process: () => [] };
}
