import type { SensorConfig } from '../../common/config/site.ts';

/** Tokens given inline in the config (demo); no Node APIs, so usable inside the webhook app. */
export function inlineSensorTokens(sensors: readonly SensorConfig[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sensors) if (s.token && 'value' in s.token && s.token.value) out.set(s.id, s.token.value);
  return out;
}
