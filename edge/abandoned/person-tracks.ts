import type { BBox } from '../../common/geometry.ts';
import { iou } from '../../common/geometry.ts';

/**
 * Short-lived person tracks inside one camera, for one purpose: to know which
 * person set an object down and whether that person is still near it.
 *
 * Why this is allowed here (situations, not people): a track is nothing but a
 * chain of detector boxes linked by overlap and distance. It carries no
 * appearance features (no colour, no embedding, no face), so it cannot
 * recognise anyone; it dies as soon as the person is out of sight for
 * `maxMissS` or leaves the view, and it is never stored, published or linked
 * to another camera. Someone who leaves and comes back is a new track.
 */
export interface PersonTrack {
  readonly id: number;
  box: BBox;
  /** media time it was last matched to a detection */
  lastSeen: number;
  readonly born: number;
}

export interface PersonTracker {
  /** links this frame's person boxes to the live tracks; returns the live tracks */
  step(time: number, boxes: readonly BBox[], frame?: { width: number; height: number }): readonly PersonTrack[];
  tracks(): readonly PersonTrack[];
  alive(id: number): boolean;
}

export interface PersonTrackerOptions {
  /** seconds a track survives without a detection (detectors miss people who bend or sit) @default 2.5 */
  maxMissS?: number;
  /** seconds a track survives without a detection once its last box touched the frame's edge: they walked out @default 0.6 */
  edgeMissS?: number;
}

const centre = (b: BBox) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] as const;

export function createPersonTracker(options: PersonTrackerOptions = {}): PersonTracker {
  const maxMissS = options.maxMissS ?? 2.5;
  const edgeMissS = options.edgeMissS ?? 0.6;
  let live: PersonTrack[] = [];
  let next = 1;

  function atEdge(b: BBox, frame: { width: number; height: number }): boolean {
    const m = 0.02 * Math.max(frame.width, frame.height);
    return b[0] <= m || b[1] <= m || b[2] >= frame.width - m || b[3] >= frame.height - m;
  }

  function step(time: number, boxes: readonly BBox[], frame?: { width: number; height: number }): readonly PersonTrack[] {
    live = live.filter((t) => time - t.lastSeen <= (frame && atEdge(t.box, frame) ? edgeMissS : maxMissS));
    const pairs: { t: number; b: number; cost: number }[] = [];
    live.forEach((t, ti) => boxes.forEach((b, bi) => {
      const h = Math.max(t.box[3] - t.box[1], b[3] - b[1]);
      const [ax, ay] = centre(t.box), [bx, by] = centre(b);
      const d = Math.hypot(ax - bx, ay - by);
      // Walking speed is about one body height a second; allow that per second missed, and a little more.
      const gate = h * (0.5 + 0.8 * Math.max(0, time - t.lastSeen));
      if (d <= gate || iou(t.box, b) >= 0.3) pairs.push({ t: ti, b: bi, cost: d / h - iou(t.box, b) });
    }));
    pairs.sort((a, b) => a.cost - b.cost);
    const usedT = new Set<number>(), usedB = new Set<number>();
    for (const p of pairs) {
      if (usedT.has(p.t) || usedB.has(p.b)) continue;
      usedT.add(p.t); usedB.add(p.b);
      const t = live[p.t]!;
      t.box = [...boxes[p.b]!];
      t.lastSeen = time;
    }
    boxes.forEach((b, bi) => { if (!usedB.has(bi)) live.push({ id: next++, box: [...b], lastSeen: time, born: time }); });
    return live;
  }

  return { step, tracks: () => live, alive: (id) => live.some((t) => t.id === id) };
}
