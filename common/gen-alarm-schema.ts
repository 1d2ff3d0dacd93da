/**
 * Writes common/alarm.schema.json from the zod alarm schema, so that outside
 * tools validate alarms against exactly what the edge and the hub enforce.
 *   node --import tsx common/gen-alarm-schema.ts          # write
 *   node --import tsx common/gen-alarm-schema.ts --check  # exit 1 when stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alarmJsonSchema } from './alarm.ts';

export const ALARM_SCHEMA_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'alarm.schema.json');

export function renderAlarmSchema(): string {
  return JSON.stringify(alarmJsonSchema(), null, 2) + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderAlarmSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(ALARM_SCHEMA_FILE, 'utf8'); } catch (err) {
      process.stderr.write(`cannot read ${ALARM_SCHEMA_FILE}: ${(err as Error).message}\n`);
    }
    if (current !== text) {
      process.stderr.write(`${ALARM_SCHEMA_FILE} is stale: run node --import tsx common/gen-alarm-schema.ts\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(ALARM_SCHEMA_FILE, text);
    process.stderr.write(`wrote ${ALARM_SCHEMA_FILE}\n`);
  }
}
