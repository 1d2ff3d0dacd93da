import { describe, expect, it } from 'vitest';
import type { BBox } from '../../../common/geometry.ts';
import type { StaticBlob } from '../../../edge/abandoned/background-model.ts';
import { boxGap, createObjectTracker, type TrackerEvent } from '../../../edge/abandoned/object-tracker.ts';
import type { PersonTrack } from '../../../edge/abandoned/person-tracks.ts';

const RULES = { dwellS: 10, unownedDwellS: 10, graceS: 3, attendRadius: 40 };
const blob = (box: [number, number, number, number], since: number, edgeRatio = 4): StaticBlob => ({
  box, cellBox: [box[0] / 4, box[1] / 4, box[2] / 4, box[3] / 4], cells: ((box[2] - box[0]) * (box[3] - box[1])) / 16, since, edgeRatio,
  contrastRatio: edgeRatio, solidity: 1, lightingOnly: false,
});
const OBJ: [number, number, number, number] = [100, 100, 140, 140];

/** Steps the tracker at 2 fps from t0 to t1; `at(t)` gives blobs, persons and presence. */
function drive(t0: number, t1: number, at: (t: number) => { blobs?: StaticBlob[]; persons?: BBox[]; people?: PersonTrack[]; presence?: number }) {
  const tracker = createObjectTracker({ idPrefix: 'cam1-obj' });
  const events: (TrackerEvent & { t: number })[] = [];
  const ghosts: StaticBlob[] = [];
  for (let t = t0; t <= t1; t += 0.5) {
    const s = at(t);
    for (const e of tracker.step({
      time: t, blobs: s.blobs ?? [], persons: s.persons ?? s.people?.map((p) => p.box) ?? [], bags: [], ...(s.people ? { people: s.people } : {}),
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

  it('does not raise a flapping structure (a flag) whose parts all stay within where it first came to rest', () => {
    // Every view lies inside the fullest one, so each counts as "in the same place"; but from one frame to the
    // next it shows another part of itself, where a bag shows the same box.
    const parts: [number, number, number, number][] = [[100, 100, 160, 140], [100, 100, 130, 140], [120, 104, 160, 140]];
    expect(drive(0, 40, (t) => ({ blobs: [blob(parts[Math.round(t * 2) % 3]!, 0)] })).events).toEqual([]);
    expect(drive(0, 40, () => ({ blobs: [blob(parts[0]!, 0)] })).events).toEqual([['abandoned', 10]]);
  });

  it('judges the shape only on views with nobody in front of it: a bag on a busy walkway is still raised', () => {
    // Every 4 s someone walks across it for 2 s (a different place each frame, so they never attend it);
    // meanwhile the blob is whatever part of the bag is not behind them.
    const { events } = drive(0, 30, (t) => {
      // It was first seen whole (a first view of a part would start a track of its own).
      const k = (Math.round(t * 2) + 4) % 8;
      if (k >= 4) return { blobs: [blob(OBJ, 0)] };
      const x = 80 + k * 20;
      const parts: [number, number, number, number][] = [[120, 100, 140, 140], [128, 100, 140, 140], [100, 100, 118, 140], [100, 100, 110, 140]];
      return { blobs: [blob(parts[k]!, 0)], persons: [[x, 70, x + 25, 150]] };
    });
    expect(events).toEqual([['abandoned', 10]]);
  });

  it('follows an object for the stability window itself before raising it, whatever the age of the blob it picked up', () => {
    // A flickering blob can die and be picked up again by a new track, which inherits its old arrival time.
    expect(drive(0, 30, (t) => ({ blobs: t >= 20 ? [blob(OBJ, 0)] : [] })).events).toEqual([['abandoned', 23]]);
  });

  it('does not let an owner track walking slowly towards the camera past the object restart its timer', () => {
    // Track 1 stands beside it as it arrives (its owner) and walks off; at 12 s the track (in a crowd, perhaps
    // another walker by now) comes down the walkway past it, a fifth of a body height a second: its box
    // overlaps its box of 1.5 s before by more than half, but its feet keep moving.
    const owner = (t: number): BBox => {
      if (t < 5) return [145, 60, 170, 140];
      if (t < 12) return [145 + Math.min(1, (t - 5) / 3) * 250, 60, 170 + Math.min(1, (t - 5) / 3) * 250, 140];
      const dy = 16 * (t - 12);
      return t < 18 ? [140, 40 + dy, 165, 120 + dy] : [400, 60, 425, 140];
    };
    const run = (at: (t: number) => BBox) => drive(0, 40, (t) => ({ blobs: t >= 3 ? [blob(OBJ, 2)] : [], people: [{ id: 1, box: at(t), lastSeen: t, born: 0 }] })).events;
    const passing = run(owner);
    expect(passing).toHaveLength(1);
    expect(passing[0]![1]).toBeLessThan(18);
    // The same track standing by it at 12-18 s is the owner back with it: the timer restarts from when they leave again.
    const back = run((t) => (t >= 12 && t < 18 ? [140, 60, 165, 140] : owner(t)));
    expect(back).toHaveLength(1);
    expect(back[0]![1]).toBeGreaterThanOrEqual(17.5 + 10);
  });

  it('measures the gap between boxes', () => {
    expect(boxGap([0, 0, 10, 10], [5, 5, 20, 20])).toBe(0);
    expect(boxGap([0, 0, 10, 10], [13, 14, 20, 20])).toBe(5);
  });
});
