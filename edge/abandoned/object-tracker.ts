import { iou, overlapOfSmaller, type BBox } from '../../common/geometry.ts';
import type { StaticBlob } from './background-model.ts';
import type { PersonTrack } from './person-tracks.ts';
import { createEpisode, type Episode } from '../rules/episode.ts';

/**
 * Tracks static blobs over time and decides when one is abandoned.
 *
 * Deposits know their owner, without identity: when a new static object
 * separates from a person (it appears where a person track was, within
 * `ownerGap` of its box over the last `ownerLookbackS`), that track is its
 * owner. An owned object is unattended once its owner has been beyond the
 * attendance radius (or out of sight long enough for the track to die) for
 * the dwell: a stranger standing by does not reset that timer. An object no
 * person was seen to leave is raised only if `unownedDwellS` is set, after
 * that longer dwell without anyone staying near it, and with less confidence.
 * Either way it must have kept its place and its shape: a flag, tape or
 * foliage shows a different part of itself from one frame to the next.
 * Pure logic in frame pixels and media seconds, so that tests can drive it
 * with synthetic blobs and persons.
 */
export interface TrackerRules {
  dwellS: number;
  /** dwell for objects no person was seen to leave; null: never raise those */
  unownedDwellS: number | null;
  graceS: number;
  /** in frame pixels */
  attendRadius: number;
  /** when set, the radius around a person is at least this many of their own heights (a scale where nothing is calibrated) */
  attendHeights?: number;
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
  /** media time this track was started: its own history begins here, whatever the blob's age */
  readonly tracked: number;
  lastSeen: number;
  lastAttended: number;
  label: string | null;
  labelScore: number;
  /** its alarm episode: open while an alarm is raised for it (edge/rules/episode.ts) */
  alarm: Episode;
  /** person boxes seen near it lately, to tell someone staying from someone passing */
  nearPersons: { time: number; box: BBox }[];
  /** the person track that left it, while that track lives (see person-tracks.ts) */
  owner: number | null;
  /** whether a person was seen to leave it */
  owned: boolean;
  /** last media time its owner was (or, unseen, may still have been) within the attendance radius */
  ownerNearAt: number;
  /** smoothed contrast ratio of its blob (see StaticBlob.contrastRatio) */
  contrastRatio: number;
  /** recent frames: whether its blob was there in about the same place (tape and branches come and go) */
  hits: { time: number; ok: boolean }[];
  /** its last view: box, time, and whether a person's box covered it then */
  view: { time: number; box: BBox; occluded: boolean };
  /** recent pairs of consecutive clear views: whether it kept its shape between them (a flag's outline flaps, a bag's does not) */
  shape: { time: number; steady: boolean }[];
  /** last time its blob was (nearly) as large as the anchor */
  fullAt: number;
  /** where and when its owner's track was last seen, once that track died near it */
  ownerLost: { time: number; box: BBox } | null;
  /** the owner's last box while it was near */
  ownerLostBox: BBox | null;
  /** the owner has stepped beyond the radius since they were last with it */
  ownerLeft: boolean;
  /** the owner's boxes while back within the radius */
  ownerTrail: { time: number; box: BBox }[];
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
  /** live person tracks; without them each person box is its own anonymous track */
  people?: readonly PersonTrack[];
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
  /** contrast ratio below which (with a low edge ratio) a blob is a ghost @default 1 */
  ghostContrast?: number;
  /** smoothed contrast ratio that is enough evidence of an object on its own @default 1.6 */
  objectContrast?: number;
  /** seconds a person track is remembered to find who left an object @default 10 */
  ownerLookbackS?: number;
  /** the owner was at the object from this long before it arrived... @default 1.5 */
  ownerBeforeS?: number;
  /** ...to this long after (they stand by it while it settles) @default 2.5 */
  ownerAfterS?: number;
  /** person heights: how close a person's box must have been to a new object to be its owner @default 0.5 */
  ownerGapHeights?: number;
  /** seconds over which an object must have been seen steadily before it is raised @default 3 */
  stableWindowS?: number;
  /** fraction of those frames @default 0.75 */
  stableFraction?: number;
  /** seconds over which its shape must have held steady before it is raised @default 10 */
  steadyWindowS?: number;
  /** overlap of its box with its box in the frame before that counts as the same shape @default 0.7 */
  steadyIou?: number;
  /** fraction of its consecutive clear views in that window that must keep the shape @default 0.6 */
  steadyFraction?: number;
  /** person heights the foot of someone staying may move over attendStillS (walking towards the camera keeps a box overlapping itself) @default 0.15 */
  attendStillHeights?: number;
  /** new alarm episode ids @default `<idPrefix>-ep-<n>` */
  newEpisode?: (t: number) => string;
  /** seconds the blob may stay smaller than its anchor before the anchor shrinks to it @default 2 */
  shrinkAfterS?: number;
  /** seconds after the owner's track died near the object within which a new track starting there is the owner again @default 6 */
  reacquireS?: number;
}

/** Gap between two boxes (0 when they overlap). */
export function boxGap(a: BBox, b: BBox): number {
  const dx = Math.max(0, a[0] - b[2], b[0] - a[2]);
  const dy = Math.max(0, a[1] - b[3], b[1] - a[3]);
  return Math.hypot(dx, dy);
}

export function createObjectTracker(options: ObjectTrackerOptions): ObjectTracker {
  const o = Object.freeze({
    occludedMaxS: 120, goneAfterS: 1, ghostRatio: 0.85, objectRatio: 1.5, attendStillS: 1.5, attendStillIou: 0.5, attendWindowS: 3, seenWithinS: 2,
    ghostContrast: 1, objectContrast: 1.6, ownerLookbackS: 10, ownerBeforeS: 1.5, ownerAfterS: 2.5, ownerGapHeights: 0.5, stableWindowS: 3, stableFraction: 0.75, steadyWindowS: 10, steadyIou: 0.7, steadyFraction: 0.6, attendStillHeights: 0.15, shrinkAfterS: 2, reacquireS: 6, ...options,
  });
  let tracks: TrackedObject[] = [];
  let seq = 0;
  let episodes = 0;
  /** media time of the previous step, to tell consecutive views from views with a gap */
  let lastTime = -Infinity;
  /** recent person-track boxes, to find who left a new object */
  let history: { time: number; id: number; box: BBox }[] = [];

  const isGhost = (b: StaticBlob) => b.edgeRatio < o.ghostRatio && (b.contrastRatio ?? 0) < o.ghostContrast;

  /**
   * Whether a person at `box` has stayed: a box of theirs from `attendStillS`
   * or more ago overlaps this one and its foot has hardly moved. Overlap alone
   * lets through someone walking slowly towards or away from the camera, whose
   * box shifts by less than a third of its height in that time.
   */
  function stayed(box: BBox, trail: readonly { time: number; box: BBox }[], now: number): boolean {
    const h = box[3] - box[1];
    return trail.some((p) => now - p.time >= o.attendStillS && iou(box, p.box) >= o.attendStillIou
      && Math.hypot((box[0] + box[2] - p.box[0] - p.box[2]) / 2, box[3] - p.box[3]) <= o.attendStillHeights * h);
  }

  /**
   * Whether it kept its shape over the last `steadyWindowS`: among pairs of
   * consecutive frames in which it was seen with nobody in front of it, most
   * show the same box. A bag's static cells stay put; a flag, tape or foliage
   * shows a different part of itself each frame while staying within its
   * fullest extent (so its anchor hits pass). No clear pair is no evidence.
   */
  function steady(t: TrackedObject): boolean {
    const n = t.shape.length;
    return n > 0 && t.shape.filter((p) => p.steady).length >= o.steadyFraction * n;
  }

  function radiusFor(rules: TrackerRules, person: BBox): number {
    return Math.max(rules.attendRadius, (rules.attendHeights ?? 0) * (person[3] - person[1]));
  }

  /**
   * The person track that was at `box` when the object arrived there (its cells
   * began to differ from the background at `since`): someone who carried it in
   * stood there then. A passer-by seconds later is not its owner.
   */
  function findOwner(box: BBox, since: number): { id: number; box: BBox } | null {
    let best: { id: number; gap: number; time: number; box: BBox } | null = null;
    for (const h of history) {
      if (h.time < since - o.ownerBeforeS || h.time > since + o.ownerAfterS) continue;
      const gap = boxGap(h.box, box);
      if (gap > o.ownerGapHeights * (h.box[3] - h.box[1])) continue;
      // The latest person there is the one it separated from; among those, the closest.
      if (!best || h.time > best.time || (h.time === best.time && gap < best.gap)) best = { id: h.id, gap, time: h.time, box: h.box };
    }
    return best;
  }

  function step(s: TrackerStep): TrackerEvent[] {
    const people: readonly PersonTrack[] = s.people ?? s.persons.map((box, i) => ({ id: -(i + 1) - seq * 1000, box, lastSeen: s.time, born: s.time }));
    history = history.filter((h) => s.time - h.time <= o.ownerLookbackS);
    for (const p of people) if (p.lastSeen === s.time && p.id > 0) history.push({ time: s.time, id: p.id, box: p.box });
    const events: TrackerEvent[] = [];
    const prevTime = lastTime;
    lastTime = s.time;
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
        if (isGhost(b)) {
          s.onGhost?.(b);
          if (t.alarm.open) events.push({ type: 'gone', object: t });
          return;
        }
        t.box = [...b.box];
        t.cellBox = [...b.cellBox];
        t.lastSeen = s.time;
        t.edgeRatio += 0.3 * (b.edgeRatio - t.edgeRatio);
        t.contrastRatio += 0.3 * ((b.contrastRatio ?? 1) - t.contrastRatio);
        t.hits.push({ time: s.time, ok: iou(b.box, t.anchor) >= 0.5 || overlapOfSmaller(b.box, t.anchor) >= 0.8 });
        // Someone in front of it changes its visible part: such frames say nothing about its own shape.
        const occluded = s.persons.some((p) => boxGap(p, t.anchor) === 0);
        if (!t.view.occluded && !occluded && t.view.time === prevTime) t.shape.push({ time: s.time, steady: iou(t.view.box, b.box) >= o.steadyIou });
        t.view = { time: s.time, box: [...b.box], occluded };
        // Passers-by and the short-term background reveal an object piece by piece: keep its fullest view.
        if (b.cells >= 0.8 * t.anchorCells) t.fullAt = s.time;
        if (b.cells >= t.anchorCells && overlapOfSmaller(t.anchor, b.box) >= 0.7) { t.anchor = [...b.box]; t.anchorCells = b.cells; }
        // ...unless it stays smaller: then the fuller view held someone who stood at it (the owner setting it down).
        else if (s.time - t.fullAt > o.shrinkAfterS) { t.anchor = [...b.box]; t.anchorCells = b.cells; t.fullAt = s.time; }
      } else {
        t.hits.push({ time: s.time, ok: false });
        // Unseen: occluded if its place still differs from the background, gone if not.
        const present = s.presence(t.cellBox) >= 0.4;
        const limit = present ? o.occludedMaxS : o.goneAfterS;
        if (s.time - t.lastSeen > limit) {
          if (t.alarm.open) events.push({ type: 'gone', object: t });
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
      if (isGhost(b)) { s.onGhost?.(b); return; }
      if (!s.rulesFor(b.box)) return;
      const owner = findOwner(b.box, b.since);
      tracks.push({
        id: `${o.idPrefix}-${++seq}`,
        box: [...b.box], cellBox: [...b.cellBox], anchor: [...b.box], anchorCells: b.cells, edgeRatio: b.edgeRatio,
        contrastRatio: b.contrastRatio ?? 1,
        since: b.since, tracked: s.time, lastSeen: s.time, lastAttended: -Infinity,
        label: null, labelScore: 0, alarm: createEpisode({ newEpisode: o.newEpisode ?? (() => `${o.idPrefix}-ep-${++episodes}`) }), nearPersons: [],
        owner: owner?.id ?? null, owned: owner !== null, ownerNearAt: s.time, hits: [{ time: s.time, ok: true }], fullAt: s.time,
        // An owner whose track already died (lost while crouching over it) may still be picked up again.
        ownerLost: owner && !people.some((p) => p.id === owner.id) ? { time: s.time, box: owner.box } : null,
        ownerLostBox: owner?.box ?? null, ownerLeft: false, ownerTrail: [],
        view: { time: s.time, box: [...b.box], occluded: s.persons.some((p) => boxGap(p, b.box) === 0) }, shape: [],
      });
    });

    for (const t of tracks) {
      const rules = s.rulesFor(t.anchor);
      if (!rules) continue;
      // Attended means someone stays near it: a person box near the object that
      // overlaps a near box from a second or more ago. People walking past move
      // a body width or more per second and never qualify, so a busy walkway
      // does not keep an object "attended" forever.
      t.hits = t.hits.filter((h) => s.time - h.time <= o.stableWindowS);
      t.shape = t.shape.filter((p) => s.time - p.time <= o.steadyWindowS);
      if (t.owner !== null) {
        const owner = people.find((p) => p.id === t.owner);
        // Unseen but alive, the owner may still be where they were last seen: near counts until the track dies.
        if (!owner) {
          if (t.ownerLostBox) t.ownerLost = { time: s.time, box: t.ownerLostBox };
          t.owner = null;
        } else if (boxGap(owner.box, t.anchor) <= radiusFor(rules, owner.box)) {
          t.ownerLostBox = owner.box;
          t.ownerTrail = t.ownerTrail.filter((h) => s.time - h.time <= o.attendWindowS);
          // Until they first step away, the owner is with it. Once they have, coming back counts only if they
          // stay (as attending does): in a crowd a track can pass from one walker to the next, and a walker
          // brushing past must not restart the timer.
          if (!t.ownerLeft || stayed(owner.box, t.ownerTrail, s.time)) {
            t.ownerNearAt = s.time;
            t.ownerLeft = false;
          }
          t.ownerTrail.push({ time: s.time, box: owner.box });
        } else {
          t.ownerLostBox = null;
          t.ownerLeft = true;
          t.ownerTrail = [];
        }
      } else if (t.ownerLost && s.time - t.ownerLost.time <= o.reacquireS) {
        // Detectors lose people who crouch over a bag. A track that starts where the owner's track died,
        // while the object is still within reach of that spot, is the owner again: position and time only, no appearance.
        const lost = t.ownerLost;
        const back = people.find((p) => p.born > lost.time - 1e-9 && p.born === p.lastSeen && boxGap(p.box, lost.box) <= (lost.box[3] - lost.box[1]) && boxGap(p.box, t.anchor) <= radiusFor(rules, p.box));
        if (back) { t.owner = back.id; t.ownerNearAt = s.time; t.ownerLostBox = back.box; t.ownerLost = null; t.ownerLeft = false; t.ownerTrail = []; }
      }
      const near = people.filter((p) => p.lastSeen === s.time && boxGap(p.box, t.anchor) <= radiusFor(rules, p.box)).map((p) => p.box);
      t.nearPersons = t.nearPersons.filter((h) => s.time - h.time <= o.attendWindowS);
      if (near.some((p) => stayed(p, t.nearPersons, s.time))) t.lastAttended = s.time;
      for (const p of near) t.nearPersons.push({ time: s.time, box: p });
      for (const bag of s.bags) {
        if ((iou(bag.bbox, t.anchor) >= 0.2 || overlapOfSmaller(bag.bbox, t.anchor) >= 0.6) && bag.score > t.labelScore) {
          t.label = bag.label;
          t.labelScore = bag.score;
        }
      }
      // Still there, if hidden for a moment by someone in front of it.
      if (t.alarm.open || s.time - t.lastSeen > o.seenWithinS) continue;
      // Neither clearly new edges nor a clear contrast with the floor: moving background (tape, foliage) that settled for a while.
      if (t.edgeRatio < o.objectRatio && t.contrastRatio < o.objectContrast) continue;
      // Flutter: it must have been there, in the same place, for most of the last few seconds, as this track has
      // seen it (a track started on a flickering blob inherits the blob's age, not a history), and kept its shape.
      if (s.time - t.since < o.stableWindowS || s.time - t.tracked < o.stableWindowS || t.hits.filter((h) => h.ok).length < o.stableFraction * t.hits.length) continue;
      if (!steady(t)) continue;
      if (t.owned) {
        const unattended = s.time - t.ownerNearAt;
        if (unattended >= rules.dwellS) {
          t.alarm.raiseNow(s.time, t.ownerNearAt);
          events.push({ type: 'abandoned', object: t, dwellSeconds: unattended });
        }
        continue;
      }
      if (rules.unownedDwellS === null) continue;
      const dwell = s.time - t.since;
      if (dwell >= rules.unownedDwellS && s.time - t.lastAttended >= rules.graceS) {
        t.alarm.raiseNow(s.time, t.since);
        events.push({ type: 'abandoned', object: t, dwellSeconds: dwell });
      }
    }
    return events;
  }

  return {
    step,
    objects: () => tracks,
    reset() {
      const open = tracks.filter((t) => t.alarm.open);
      tracks = [];
      return open;
    },
  };
}
