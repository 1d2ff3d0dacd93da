import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../../common/alarm.ts';
import { matchAbandoned } from '../../../edge/scoring/abandoned-match.ts';
import { loadAbandonedTruth, scoreAbandoned, type AbandonedTruth } from '../../../edge/scoring/abandoned-score.ts';

let n = 0;
function alarm(mediaTime: number, bbox: [number, number, number, number], over: Partial<Alarm> = {}): Alarm {
  n++;
  return {
    v: 1, id: `00000000${n}-a`, kind: 'object.abandoned', state: 'raised', severity: 'warning', site: 's', camera: 'c', zone: null,
    episode: `ep-${n}`, capturedAt: new Date(0).toISOString(), mediaTime, edge: 'e',
    object: { bbox, class: null, dwellSeconds: 30, confidence: 0.6, objectId: `o${n}` }, ...over,
  } as Alarm;
}

const truth: AbandonedTruth = { objects: [
  { id: 'a', abandonAt: 10, bbox: [100, 100, 150, 160] },
  { id: 'b', abandonAt: 5, removedAt: 50, bbox: [400, 300, 450, 340] },
] };

describe('scoreAbandoned', () => {
  it('counts alarms in the window with enough overlap as true positives', () => {
    const s = scoreAbandoned([alarm(41, [102, 98, 152, 158]), alarm(36, [400, 300, 450, 340])], truth, 30);
    expect(s).toEqual({ truePositives: 2, falsePositives: 0, falseNegatives: 0, meanDelaySeconds: (31 + 31) / 2 });
  });

  it('calls early, late and misplaced alarms false positives and leaves their truth unmatched', () => {
    const s = scoreAbandoned([
      alarm(39, [100, 100, 150, 160]), // before abandonAt + dwell
      alarm(46, [100, 100, 150, 160]), // more than 5 s after it
      alarm(36, [200, 200, 250, 240]), // somewhere else
    ], truth, 30);
    expect(s).toEqual({ truePositives: 0, falsePositives: 3, falseNegatives: 2, meanDelaySeconds: null });
  });

  it('rejects an overlap below 0.3 and accepts one at it', () => {
    // 50x60 truth; a box shifted to give IoU below 0.3
    expect(scoreAbandoned([alarm(40, [130, 100, 180, 160])], truth, 30).truePositives).toBe(0);
    expect(scoreAbandoned([alarm(40, [110, 100, 160, 160])], truth, 30).truePositives).toBe(1);
  });

  it('counts each episode once, ignores cleared alarms and other kinds, and matches a truth object once', () => {
    const first = alarm(40, [100, 100, 150, 160]);
    const again = { ...first, id: 'zzzzzzzzz-b', mediaTime: 41 };
    const cleared = alarm(45, [100, 100, 150, 160], { state: 'cleared' });
    const duplicate = alarm(42, [100, 100, 150, 160]);
    const other = alarm(40, [100, 100, 150, 160], { kind: 'camera.tamper', object: undefined, health: { reason: 'moved' } } as Partial<Alarm>);
    expect(scoreAbandoned([first, again, cleared, duplicate, other], truth, 30)).toEqual({ truePositives: 1, falsePositives: 1, falseNegatives: 1, meanDelaySeconds: 30 });
  });

  it('scores a negative clip: any alarm is a false positive', () => {
    expect(scoreAbandoned([alarm(12, [1, 1, 20, 20])], { objects: [] }, 30)).toEqual({ truePositives: 0, falsePositives: 1, falseNegatives: 0, meanDelaySeconds: null });
    expect(scoreAbandoned([], { objects: [] }, 30)).toEqual({ truePositives: 0, falsePositives: 0, falseNegatives: 0, meanDelaySeconds: null });
  });

  it('accepts an alarm up to 5 s after abandonAt + dwell, and none after the object was removed', () => {
    expect(scoreAbandoned([alarm(45, [100, 100, 150, 160])], truth, 30).truePositives).toBe(1);
    expect(scoreAbandoned([alarm(45.5, [100, 100, 150, 160])], truth, 30).truePositives).toBe(0);
    const removed = { objects: [{ id: 'c', abandonAt: 10, removedAt: 42, bbox: [100, 100, 150, 160] as [number, number, number, number] }] };
    expect(scoreAbandoned([alarm(43, [100, 100, 150, 160])], removed, 30)).toMatchObject({ truePositives: 0, falsePositives: 1, falseNegatives: 1 });
  });

  it('is the rule the dashboard marks the timeline with', () => {
    const marks = matchAbandoned([alarm(41, [102, 98, 152, 158]), alarm(36, [200, 200, 250, 240])], truth.objects, 30).marks;
    expect(marks.map((m) => `${m.kind}@${m.t}`)).toEqual(['FN@5', 'FP@36', 'TP@41']);
  });

  it('uses the dwell it is given', () => {
    expect(scoreAbandoned([alarm(21, [100, 100, 150, 160])], truth, 10).truePositives).toBe(1);
    expect(scoreAbandoned([alarm(21, [100, 100, 150, 160])], truth, 30).truePositives).toBe(0);
  });
});

describe('loadAbandonedTruth', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-truth-'));
  it('reads a truth file', () => {
    const f = path.join(dir, 'ok.json');
    writeFileSync(f, JSON.stringify(truth));
    expect(loadAbandonedTruth(f).objects).toHaveLength(2);
  });
  it('names the file and the field of a bad truth file', () => {
    const f = path.join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ objects: [{ id: 'x', abandonAt: 3, bbox: [10, 10, 5, 20] }] }));
    expect(() => loadAbandonedTruth(f)).toThrow(/bad\.json: objects\.0\.bbox/);
    const g = path.join(dir, 'nojson.json');
    writeFileSync(g, '{');
    expect(() => loadAbandonedTruth(g)).toThrow(/nojson\.json: cannot read truth JSON/);
  });
});
