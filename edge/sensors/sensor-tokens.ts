import type { SensorConfig } from '../../common/config/site.ts';
import { readSecret } from '../../common/config/load.ts';

/** Every sensor's token, inline, from the environment or from a mounted file (Node only). Never logged. */
export function readSensorTokens(sensors: readonly SensorConfig[], configFile?: string): Map<string, string> {
  const out = new Map<string, string>();
  sensors.forEach((s, i) => {
    const v = readSecret(s.token as { value?: string; env?: string; file?: string } | undefined, `sensors.${i}.token`, configFile);
    if (v) out.set(s.id, v);
  });
  return out;
}
