import type { CameraConfig } from '../../common/config/site.ts';
import { abandonedSchema, type AbandonedConfig } from '../../common/config/zone.ts';
import { createAbandonedAnalyzer } from '../abandoned/abandoned-analyzer.ts';
import { createCrowdAnalyzer, type CrowdAnalyzer, type CrowdAnalyzerOptions } from '../crowd/crowd-analyzer.ts';
import { createHealthAnalyzer } from '../health/health-analyzer.ts';
import type { Analyzer } from '../types.ts';

/**
 * The analyzers a pipeline runs on each camera, as factories: the pipeline
 * calls each once per camera. A site that wants no abandoned objects, or an
 * extra analyzer, passes its own list. The crowd analyzer, when in the list,
 * also chooses what the detector computes for the camera's next frame.
 */
export type AnalyzerFactory = (camera: CameraConfig) => Analyzer;

export const crowdAnalyzers = (options: Partial<Omit<CrowdAnalyzerOptions, 'camera'>> = {}): AnalyzerFactory => (camera) => createCrowdAnalyzer({ camera, ...options });
export const abandonedAnalyzers = (defaults: AbandonedConfig = abandonedSchema.parse({}), dwellOverrideS?: number): AnalyzerFactory =>
  (camera) => createAbandonedAnalyzer({ camera, defaults, ...(dwellOverrideS !== undefined ? { dwellOverrideS } : {}) });
export const healthAnalyzers = (): AnalyzerFactory => (camera) => createHealthAnalyzer({ camera });

/** What every edge ran before the list existed: crowd, abandoned objects, camera health. */
export function defaultAnalyzers(o: { crowd?: Partial<Omit<CrowdAnalyzerOptions, 'camera'>>; abandoned?: AbandonedConfig; dwellOverrideS?: number } = {}): AnalyzerFactory[] {
  return [crowdAnalyzers(o.crowd), abandonedAnalyzers(o.abandoned, o.dwellOverrideS), healthAnalyzers()];
}

export function isCrowdAnalyzer(a: Analyzer): a is CrowdAnalyzer {
  const c = a as Partial<CrowdAnalyzer>;
  return typeof c.detectOptions === 'function' && typeof c.latest === 'function' && typeof c.stats === 'function';
}

/** Stands in for the crowd analyzer on a camera whose list has none: plain detection, no measures. */
export const NO_CROWD: Pick<CrowdAnalyzer, 'detectOptions' | 'latest' | 'stats'> = Object.freeze({ detectOptions: () => ({}), latest: () => [], stats: () => [] });
