import { iou, type BBox } from '../../common/geometry.ts';
import type { StaticBlob } from './background-model.ts';

/**
 * Tracks static blobs over time and decides when one is abandoned: stationary
 * for its dwell and unattended (no person near it) for the grace period.
 * Pure logic in frame pixels and media seconds, so that tests can drive it
 * with synthetic blobs and persons.
 */
export interface TrackerRules {
  dwellS: number;
  graceS: number;
  /** in frame pixels */
  attendRadius: number;
}

export interface TrackedObject {
  readonly id: string;
  /** frame pixels, current extent */
  box: [number, number, number, number];
  cellBox: [number, number, number, number];
  /** its fullest extent since it came to rest; it stays "the same object" while it overlaps this */
  anchor: [number, number, number, number];
  /** cells of the blob that gave the anchor */
  anchorCells: number;
  /** smoothed edge ratio of its blob (see StaticBlob.edgeRatio) */
  edgeRatio: number;
  /** media time it arrived */
  readonly since: number;
  lastSeen: number;
  lastAttended: number;
  label: string | null;
  labelScore: number;
  /** set while an alarm is raised for it */
  alarmed: boolean;
  episode: string | null;
  /** person boxes seen near it lately, to tell someone staying from someone passing */
  nearPersons: { time: number; box: BBox }[];
}

export type TrackerEvent =
  | { type: 'abandoned'; object: TrackedObject; dwellSeconds: number }
  | { type: 'gone'; object: TrackedObject };

export interface Labelled { bbox: BBox; label: string; score: number }

export interface TrackerStep {
  time: number;
  blobs: readonly StaticBlob[];
  persons: readonly BBox[];
  /** detector boxes of bag-like classes */
  bags: readonly Labelled[];
  /** fraction of a box that still differs from the long-term background */
  presence(cellBox: readonly [number, number, number, number]): number;
  /** rules for an object at this box, or null when it is outside every watched area / size range */
  rulesFor(box: BBox): TrackerRules | null;
  /** a blob that is the trace of something that left; the caller learns it into the background */
  onGhost?(blob: StaticBlob): void;
}

export interface ObjectTracker {
  step(s: TrackerStep): TrackerEvent[];
  objects(): readonly TrackedObject[];
  /** forgets every object, returning those with a raised alarm */
  reset(): TrackedObject[];
}

export interface ObjectTrackerOptions {
  idPrefix: string;
  /** seconds an object may go unseen while its place still differs from the background (occluded) @default 120 */
  occludedMaxS?: number;
  /** seconds an object may go unseen once its place looks like background again @default 1 */
  goneAfterS?: number;
  /** edge ratio below which a new blob is a ghost @default 0.85 */
  ghostRatio?: number;
  /** smoothed edge ratio an object needs to be declared abandoned @default 1.5 */
  objectRatio?: number;
  /** seconds a person must stay (their box overlapping itself) near an object to attend it @default 1.5 */
  attendStillS?: number;
  /** overlap of a person's box with their box attendStillS ago that counts as staying @default 0.5 */
  attendStillIou?: number;
  /** an object may be declared abandoned while unseen (occluded) for at most this long @default 2 */
  seenWithinS?: number;
  /** seconds of near-person history kept @default 2.5 */
  attendWindowS?: number;
}

/** Gap between two boxes (0 when they overlap). */
export function boxGap(a: BBox, b: BBox): number {
  const dx = Math.max(0, a[0] - b[2], b[0] - a[2]);
  const dy = Math.max(0, a[1] - b[3], b[1] - a[3]);
  return Math.hypot(dx, dy);
}

function overlapOfSmaller(a: BBox, b: BBox): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const s = Math.min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]));
  return s > 0 ? (ix * iy) / s : 0;
}

export function createObjectTracker(options: ObjectTrackerOptions): ObjectTracker {
  const o = Object.freeze({ occludedMaxS: 120, goneAfterS: 1, ghostRatio: 0.85, objectRatio: 1.5, attendStillS: 1.5, attendStillIou: 0.5, attendWindowS: 3, seenWithinS: 2, ...options });
  let tracks: TrackedObject[] = [];
  let seq = 0;

  function step(s: TrackerStep): TrackerEvent[] {
    const events: TrackerEvent[] = [];
    const used = new Set<number>();
    // Greedy association by overlap with where each object came to rest.
    const pairs: { t: number; b: number; v: number }[] = [];
    tracks.forEach((t, ti) => s.blobs.forEach((b, bi) => {
      const v = Math.max(iou(t.anchor, b.box), overlapOfSmaller(t.anchor, b.box) >= 0.7 ? 0.5 : 0);
      if (v >= 0.3) pairs.push({ t: ti, b: bi, v });
    }));
    pairs.sort((a, b) => b.v - a.v);
    const matched = new Map<number, number>();
    for (const p of pairs) {
      if (matched.has(p.t) || used.has(p.b)) continue;
      matched.set(p.t, p.b);
      used.add(p.b);
    }
    const keep: TrackedObject[] = [];
    tracks.forEach((t, ti) => {
      const bi = matched.get(ti);
      if (bi !== undefined) {
        const b = s.blobs[bi]!;
        // Judged again on every frame: a ghost can first show as the edge of a person still leaving.
        if (b.edgeRatio < o.ghostRatio) {
          s.onGhost?.(b);
          if (t.alarmed) events.push({ type: 'gone', object: t });
          return;
        }
        t.box = [...b.box];
        t.cellBox = [...b.cellBox];
        t.lastSeen = s.time;
        t.edgeRatio += 0.3 * (b.edgeRatio - t.edgeRatio);
        // Passers-by and the short-term background reveal an object piece by piece: keep its fullest view.
        if (b.cells >= t.anchorCells && overlapOfSmaller(t.anchor, b.box) >= 0.7) { t.anchor = [...b.box]; t.anchorCells = b.cells; }
      } else {
        // Unseen: occluded if its place still differs from the background, gone if not.
        const present = s.presence(t.cellBox) >= 0.4;
        const limit = present ? o.occludedMaxS : o.goneAfterS;
        if (s.time - t.lastSeen > limit) {
          if (t.alarmed) events.push({ type: 'gone', object: t });
          return;
        }
      }
      keep.push(t);
    });
    tracks = keep;

    s.blobs.forEach((b, bi) => {
      if (used.has(bi)) return;
      // A blob overlapping a tracked object but not matched is the same object reshaped; skip it.
      if (tracks.some((t) => overlapOfSmaller(t.box, b.box) > 0.5 || overlapOfSmaller(t.anchor, b.box) > 0.5)) return;
      if (b.edgeRatio < o.ghostRatio) { s.onGhost?.(b); return; }
      if (!s.rulesFor(b.box)) return;
      tracks.push({
        id: `${o.idPrefix}-${++seq}`,
        box: [...b.box], cellBox: [...b.cellBox], anchor: [...b.box], anchorCells: b.cells, edgeRatio: b.edgeRatio,
        since: b.since, lastSeen: s.time, lastAttended: -Infinity,
        label: null, labelScore: 0, alarmed: false, episode: null, nearPersons: [],
      });
    });

    for (const t of tracks) {
      const rules = s.rulesFor(t.anchor);
      if (!rules) continue;
      // Attended means someone stays near it: a person box near the object that
      // overlaps a near box from a second or more ago. People walking past move
      // a body width or more per second and never qualify, so a busy walkway
      // does not keep an object "attended" forever.
      const near = s.persons.filter((p) => boxGap(p, t.anchor) <= rules.attendRadius);
      t.nearPersons = t.nearPersons.filter((h) => s.time - h.time <= o.attendWindowS);
      if (near.some((p) => t.nearPersons.some((h) => s.time - h.time >= o.attendStillS && iou(p, h.box) >= o.attendStillIou))) t.lastAttended = s.time;
      for (const p of near) t.nearPersons.push({ time: s.time, box: p });
      for (const bag of s.bags) {
        if ((iou(bag.bbox, t.anchor) >= 0.2 || overlapOfSmaller(bag.bbox, t.anchor) >= 0.6) && bag.score > t.labelScore) {
          t.label = bag.label;
          t.labelScore = bag.score;
        }
      }
      // Still there, if hidden for a moment by someone in front of it.
      if (t.alarmed || s.time - t.lastSeen > o.seenWithinS) continue;
      // Neither clearly new edges nor clearly lost ones: moving background (tape, foliage) that settled for a while.
      if (t.edgeRatio < o.objectRatio) continue;
      const dwell = s.time - t.since;
      if (dwell >= rules.dwellS && s.time - t.lastAttended >= rules.graceS) {
        t.alarmed = true;
        events.push({ type: 'abandoned', object: t, dwellSeconds: dwell });
      }
    }
    return events;
  }

  return {
    step,
    objects: () => tracks,
    reset() {
      const open = tracks.filter((t) => t.alarmed);
      tracks = [];
      return open;
    },
  };
}
