import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALARM_SCHEMA_FILE, renderAlarmSchema } from '../../common/gen-alarm-schema.ts';
import { alarmSchema } from '../../common/alarm.ts';
import { makeAlarm } from '../transport/fixtures/alarms.ts';

describe('common/alarm.schema.json', () => {
  it('is up to date with the zod schema (regenerate: node --import tsx common/gen-alarm-schema.ts)', () => {
    expect(readFileSync(ALARM_SCHEMA_FILE, 'utf8')).toBe(renderAlarmSchema());
  });

  it('states what every alarm must carry, and the per-kind measures rule', () => {
    const schema = JSON.parse(readFileSync(ALARM_SCHEMA_FILE, 'utf8'));
    expect(schema.$schema).toMatch(/2020-12/);
    expect(schema.required).toEqual(expect.arrayContaining(['v', 'id', 'kind', 'state', 'severity', 'site', 'camera', 'capturedAt', 'edge']));
    expect(schema.allOf).toContainEqual({ if: { properties: { kind: { const: 'crowd.density' } }, required: ['kind'] }, then: { required: ['crowd'] } });
    // every property the zod schema knows is in the file
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(alarmSchema.shape).sort());
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(Object.keys(makeAlarm('s', 'e', 1))));
  });
});
