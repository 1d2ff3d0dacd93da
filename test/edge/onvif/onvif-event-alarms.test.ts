import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../common/clock.ts';
import { parseAlarm } from '../../../common/alarm.ts';
import { createOnvifAlarmMapper } from '../../../edge/onvif/onvif-event-alarms.ts';
import type { OnvifNotification } from '../../../edge/onvif/onvif-notification.ts';
import type { AnalyzerOutput } from '../../../edge/types.ts';

const n = (topic: string, data: Record<string, string>, source: Record<string, string> = { Source: 'VideoSource_1' }, operation = 'Changed'): OnvifNotification =>
  ({ topic, operation, utcTime: '2026-01-01T00:00:00.000Z', source, data });
const motion = (s: boolean, op?: string) => n('VideoSource/MotionAlarm', { State: String(s) }, undefined, op);

function setup(hold = 10) {
  const clock = new FakeClock();
  const out: AnalyzerOutput[] = [];
  const mapper = createOnvifAlarmMapper({ camera: 'gate-1', zone: 'concourse', clock, motionHoldS: hold, emit: (o) => out.push(o) });
  // every alarm must pass the v1 schema once the sink adds its fields
  const full = () => out.map((o) => parseAlarm({ ...o.alarm, v: 1, site: 'metro', edge: 'edge-1' }));
  return { clock, out, mapper, full };
}

describe('ONVIF notifications to sensor alarms', () => {
  it('debounces motion: a camera that never sends false still clears after the hold, and repeats extend it', () => {
    const { clock, out, mapper, full } = setup(10);
    mapper.handle(motion(true));
    expect(out.map((o) => o.alarm.state)).toEqual(['raised']);
    clock.advance(6_000);
    mapper.handle(motion(true));
    clock.advance(6_000);
    expect(out).toHaveLength(1);
    clock.advance(4_100);
    expect(out.map((o) => o.alarm.state)).toEqual(['raised', 'cleared']);
    const [raised, cleared] = full();
    expect(raised).toMatchObject({ kind: 'sensor.motion', camera: 'gate-1', zone: 'concourse', severity: 'info', sensor: { sensorId: 'VideoSource_1', type: 'motion', source: 'onvif' } });
    expect(cleared!.episode).toBe(raised!.episode);
    expect(cleared!.id).not.toBe(raised!.id);
    expect(mapper.open).toBe(0);
  });

  it('an explicit motion false still waits out the hold from the last true; Initialized motion is ignored', () => {
    const { clock, out, mapper } = setup(5);
    mapper.handle(motion(true, 'Initialized'));
    expect(out).toHaveLength(0);
    mapper.handle(motion(true));
    clock.advance(1_000);
    mapper.handle(motion(false));
    expect(out).toHaveLength(1);
    clock.advance(4_001);
    expect(out.map((o) => o.alarm.state)).toEqual(['raised', 'cleared']);
  });

  it('tamper and digital inputs raise on true and clear on false, one episode per input', () => {
    const { out, mapper, full } = setup();
    mapper.handle(n('VideoSource/GlobalSceneChange/ImagingService', { State: 'true' }));
    mapper.handle(n('Device/Trigger/DigitalInput', { LogicalState: 'true' }, { InputToken: 'DIN1' }));
    mapper.handle(n('Device/Trigger/DigitalInput', { LogicalState: 'true' }, { InputToken: 'DIN2' }));
    mapper.handle(n('Device/Trigger/DigitalInput', { LogicalState: 'true' }, { InputToken: 'DIN1' }));
    mapper.handle(n('Device/Trigger/DigitalInput', { LogicalState: 'false' }, { InputToken: 'DIN1' }));
    mapper.handle(n('VideoSource/GlobalSceneChange/ImagingService', { State: 'false' }));
    mapper.handle(n('Device/Trigger/DigitalInput', { LogicalState: 'false' }, { InputToken: 'DIN9' }));
    mapper.handle(n('Some/Unknown/Topic', { State: 'true' }));
    const a = full();
    expect(a.map((x) => `${x.kind}:${x.sensor!.sensorId}:${x.state}`)).toEqual([
      'sensor.tamper:VideoSource_1:raised', 'sensor.input:DIN1:raised', 'sensor.input:DIN2:raised', 'sensor.input:DIN1:cleared', 'sensor.tamper:VideoSource_1:cleared',
    ]);
    expect(a[3]!.episode).toBe(a[1]!.episode);
    expect(a[2]!.episode).not.toBe(a[1]!.episode);
    mapper.flush();
    expect(out.at(-1)!.alarm).toMatchObject({ kind: 'sensor.input', state: 'cleared', sensor: { sensorId: 'DIN2' } });
  });
});
