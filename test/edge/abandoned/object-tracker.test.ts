import { describe, expect, it } from 'vitest';
import type { BBox } from '../../../common/geometry.ts';
import type { StaticBlob } from '../../../edge/abandoned/background-model.ts';
import { boxGap, createObjectTracker, type TrackerEvent } from '../../../edge/abandoned/object-tracker.ts';

const RULES = { dwellS: 10, unownedDwellS: 10, graceS: 3, attendRadius: 40 };
const blob = (box: [number, number, number, number], since: number, edgeRatio = 4): StaticBlob => ({
  box, cellBox: [box[0] / 4, box[1] / 4, box[2] / 4, box[3] / 4], cells: ((box[2] - box[0]) * (box[3] - box[1])) / 16, since, edgeRatio,
  contrastRatio: edgeRatio, solidity: 1, lightingOnly: false,
});
const OBJ: [number, number, number, number] = [100, 100, 140, 140];

/** Steps the tracker at 2 fps from t0 to t1; `at(t)` gives blobs, persons and presence. */
function drive(t0: number, t1: number, at: (t: number) => { blobs?: StaticBlob[]; persons?: BBox[]; presence?: number }) {
  const tracker = createObjectTracker({ idPrefix: 'cam1-obj' });
  const events: (TrackerEvent & { t: number })[] = [];
  const ghosts: StaticBlob[] = [];
  for (let t = t0; t <= t1; t += 0.5) {
    const s = at(t);
    for (const e of tracker.step({
      time: t, blobs: s.blobs ?? [], persons: s.persons ?? [], bags: [],
      presence: () => s.presence ?? 1, rulesFor: () => RULES, onGhost: (b) => ghosts.push(b),
    })) events.push({ ...e, t });
  }
  return { events: events.map((e) => [e.type, e.t]), ghosts, tracker };
}

describe('object tracker', () => {
  it('declares abandoned at since + dwell, and gone when the place looks like background again', () => {
    const { events } = drive(0, 30, (t) => (t < 20 ? { blobs: t >= 3 ? [blob(OBJ, 2)] : [] } : { presence: 0 }));
    expect(events).toEqual([['abandoned', 12], ['gone', 21]]);
  });

  it('keeps an object that is hidden by someone in front of it', () => {
    const { events } = drive(0, 30, (t) => ({ blobs: t >= 3 && (t < 8 || t > 11) ? [blob(OBJ, 2)] : [], presence: 0.9 }));
    // Seen again at 11.5, it must be steady for most of the stability window (3 s) before it is raised.
    expect(events).toEqual([['abandoned', 14]]);
  });

  it('counts someone who stays near as attending, and someone walking past as not', () => {
    const stay: BBox = [150, 80, 175, 150];
    const stayed = drive(0, 30, (t) => ({ blobs: [blob(OBJ, 0)], persons: t < 20 ? [stay] : [] }));
    expect(stayed.events).toEqual([['abandoned', 22.5]]);
    const passed = drive(0, 30, (t) => {
      const x = 60 + (t % 4) * 40;
      return { blobs: [blob(OBJ, 0)], persons: [[x, 80, x + 25, 150]] };
    });
    expect(passed.events).toEqual([['abandoned', 10]]);
  });

  it('hands ghosts to the caller instead of tracking them, even when they first looked like objects', () => {
    const { events, ghosts, tracker } = drive(0, 20, (t) => ({ blobs: [blob(OBJ, 0, t < 2 ? 3 : 0.3)] }));
    expect(events).toEqual([]);
    expect(ghosts.length).toBeGreaterThan(0);
    expect(tracker.objects().length).toBeLessThanOrEqual(1);
  });

  it('does not declare moving background (no clear edge gain) abandoned', () => {
    expect(drive(0, 30, () => ({ blobs: [blob(OBJ, 0, 1.1)] })).events).toEqual([]);
  });

  it('measures the gap between boxes', () => {
    expect(boxGap([0, 0, 10, 10], [5, 5, 20, 20])).toBe(0);
    expect(boxGap([0, 0, 10, 10], [13, 14, 20, 20])).toBe(5);
  });
});
