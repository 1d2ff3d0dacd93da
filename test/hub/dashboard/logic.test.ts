import { describe, expect, it } from 'vitest';
import {
  actionsFor, countdown, filterAlarms, formatAge, formatDensity, formatDuration, FRUIN_BANDS, kindLabel, losColour, losLabel, losOf,
  mayDispatch, nearestUnits, severityLabel, shouldBeep, timelinePercent, truthMarks, centroid,
} from '../../../hub/dashboard/src/logic.ts';
import { fruinLevel } from '../../../edge/crowd/fruin.ts';
import { measuresToText, textToMeasures } from '../../../hub/dashboard/src/views/reports.ts';
import { translator } from '../../../hub/i18n/catalogue.ts';

const en = translator('en');
const zh = translator('zh-CN');

describe('formatters', () => {
  it('formats durations and ages for a feed row', () => {
    expect(formatDuration(en, 4_200)).toBe('4 s');
    expect(formatDuration(en, 185_000)).toBe('3 min 05 s');
    expect(formatDuration(en, 2 * 3600_000 + 10 * 60_000)).toBe('2 h 10 min');
    expect(formatDuration(en, -5)).toBe('0 s');
    expect(formatAge(en, 1000, 1500)).toBe('just now');
    expect(formatAge(en, 0, 61_000)).toBe('1 min 01 s ago');
    expect(formatDuration(zh, 185_000)).toBe('3 分 05 秒');
    expect(formatAge(zh, 0, 61_000)).toBe('1 分 01 秒前');
  });
  it('formats densities with sensible precision and a dash for none', () => {
    expect(formatDensity(en, 0.061)).toBe('0.06 /m²');
    expect(formatDensity(en, 2.345)).toBe('2.3 /m²');
    expect(formatDensity(en, null)).toBe('—');
    expect(formatDensity(zh, 2.345)).toBe('2.3 人/平方米');
  });
  it('labels severities with an icon and kinds in words, in either language', () => {
    expect(severityLabel(en, 'critical')).toMatch(/^\S+ CRITICAL$/);
    expect(severityLabel(zh, 'critical')).toBe('⬣ 严重');
    expect(kindLabel(en, 'object.abandoned')).toBe('Abandoned object');
    expect(kindLabel(en, 'sensor.panic_button')).toBe('Sensor: panic button');
    expect(kindLabel(zh, 'sensor.panic')).toBe('传感器：紧急按钮');
    expect(kindLabel(zh, 'crowd.density')).toBe('人群密度');
  });
});

describe('level of service', () => {
  it('agrees with the edge on every band boundary', () => {
    for (const d of [0, 0.2, 0.31, 0.43, 0.5, 0.72, 1.0, 1.08, 2.0, 2.17, 3, 6]) expect(losOf(d)).toBe(fruinLevel(d));
    expect(FRUIN_BANDS.map((b) => b.los).join('')).toBe('ABCDEF');
  });
  it('gives every level its own colour and a text label, and a neutral grey with "no data"', () => {
    const colours = new Set(FRUIN_BANDS.map((b) => losColour(b.los)));
    expect(colours.size).toBe(6);
    expect(losLabel(en, 'F')).toBe('LOS F — jammed');
    expect(losLabel(en, null)).toBe('no data');
    expect(losLabel(zh, 'F')).toBe('服务水平 F：堵塞');
    expect(losColour(null)).not.toBe(losColour('A'));
  });
});

describe('filters and sound', () => {
  const alarms = [
    { site: 's1', camera: 'c1', kind: 'crowd.density', severity: 'critical', state: 'raised' },
    { site: 's1', camera: 'c2', kind: 'sensor.panic', severity: 'warning', state: 'raised' },
    { site: 's2', camera: 'c1', kind: 'camera.offline', severity: 'warning', state: 'cleared' },
  ];
  it('filters by site, camera and kind, with kind families', () => {
    expect(filterAlarms(alarms, {})).toHaveLength(3);
    expect(filterAlarms(alarms, { site: 's1' })).toHaveLength(2);
    expect(filterAlarms(alarms, { camera: 'c1' })).toHaveLength(2);
    expect(filterAlarms(alarms, { kind: 'sensor' }).map((a) => a.kind)).toEqual(['sensor.panic']);
    expect(filterAlarms(alarms, { kind: 'crowd.density', site: 's2' })).toHaveLength(0);
  });
  it('beeps only for critical alarms being raised', () => {
    expect(alarms.map(shouldBeep)).toEqual([true, false, false]);
    expect(shouldBeep({ severity: 'critical', state: 'cleared' })).toBe(false);
  });
});

describe('countdowns', () => {
  it('counts down, turns urgent in the last quarter hour and shows overdue', () => {
    const due = 10_000_000;
    expect(countdown(en, due, due - 42 * 60_000)).toMatchObject({ overdue: false, urgent: false, text: 'due in 42 min 00 s' });
    expect(countdown(en, due, due - 10 * 60_000)).toMatchObject({ urgent: true });
    expect(countdown(en, due, due + 3 * 60_000)).toMatchObject({ overdue: true, text: 'OVERDUE by 3 min 00 s' });
    expect(countdown(zh, due, due + 3 * 60_000).text).toBe('已超时 3 分 00 秒');
  });
});

describe('nearest units', () => {
  const units = [
    { id: 'far', position: { x: 100, y: 0 } },
    { id: 'near', position: { x: 3, y: 4 } },
    { id: 'tie-b', position: { x: 0, y: 10 } },
    { id: 'tie-a', position: { x: 10, y: 0 } },
  ];
  it('sorts by ETA, then distance, then id, with ETA from the speed', () => {
    const r = nearestUnits(units, { x: 0, y: 0 }, 2);
    expect(r.map((n) => n.unit.id)).toEqual(['near', 'tie-a', 'tie-b', 'far']);
    expect(r[0]).toMatchObject({ distance: 5, etaS: 2.5 });
  });
  it('uses a unit speed where one is known', () => {
    const r = nearestUnits(units, { x: 0, y: 0 }, 1, (id) => (id === 'far' ? 1000 : null));
    expect(r[0]!.unit.id).toBe('far');
  });
  it('places a zone at its vertex mean', () => {
    expect(centroid([[0, 0], [10, 0], [10, 10], [0, 10]])).toEqual({ x: 5, y: 5 });
  });
});

describe('actions by role', () => {
  it('offers each role only the lifecycle steps it may take', () => {
    expect(actionsFor('open', 'operator')).toEqual(['acknowledged', 'dispatched', 'false_alarm']);
    expect(actionsFor('open', 'commander')).toContain('cancelled');
    expect(actionsFor('resolved', 'operator')).toEqual([]);
    expect(actionsFor('resolved', 'commander')).toEqual(['closed']);
    expect(actionsFor('dispatched', 'unit')).toEqual(['on_scene']);
    expect(actionsFor('dispatched', 'commander')).not.toContain('acknowledged');
    expect(actionsFor('open', 'engineer')).toEqual([]);
    // Engineers act on their own board: camera and sensor faults.
    expect(actionsFor('open', 'engineer', 'engineer')).toEqual(['acknowledged', 'false_alarm']);
    expect(actionsFor('acknowledged', 'engineer', 'engineer')).toEqual(['resolved', 'false_alarm']);
    expect(actionsFor('closed', 'admin')).toEqual([]);
    expect(mayDispatch('operator')).toBe(true);
    expect(mayDispatch('unit')).toBe(false);
  });
});

describe('replay review', () => {
  it('marks TP, FP and FN against truth on the timeline', () => {
    const truth = [{ id: 'bag', abandonAt: 6, removedAt: null, bbox: [150, 390, 186, 432] as [number, number, number, number] }, { id: 'box', abandonAt: 20, bbox: [10, 10, 40, 40] as [number, number, number, number] }];
    const alarms = [
      { id: 'a1', kind: 'object.abandoned', state: 'raised', mediaTime: 40, object: { bbox: [152, 392, 188, 430] as [number, number, number, number] } },
      { id: 'a2', kind: 'object.abandoned', state: 'cleared', mediaTime: 50, object: { bbox: [152, 392, 188, 430] as [number, number, number, number] } },
      { id: 'a3', kind: 'object.abandoned', state: 'raised', mediaTime: 30, object: { bbox: [500, 500, 540, 540] as [number, number, number, number] } },
    ];
    const marks = truthMarks(alarms, truth, 30);
    expect(marks.map((m) => `${m.kind}@${m.t}`)).toEqual(['FN@20', 'FP@30', 'TP@40']);
    expect(timelinePercent(30, 60)).toBe(50);
    expect(timelinePercent(90, 60)).toBe(100);
    expect(timelinePercent(5, 0)).toBe(0);
  });
  it('edits report measures as "taken — effect" lines', () => {
    const m = [{ taken: 'closed gate B', effect: 'flow eased' }, { taken: 'PA announcement', effect: '' }];
    expect(textToMeasures(measuresToText(m))).toEqual(m);
  });
});
