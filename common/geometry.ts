export type Point = readonly [number, number];
export type Polygon = readonly Point[];
/** [x1, y1, x2, y2] */
export type BBox = readonly [number, number, number, number];

/** Ray casting; points on an edge may go either way, which is fine for people counting. */
export function pointInPolygon([x, y]: Point, poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Shoelace area, in the polygon's own units squared. */
export function polygonArea(poly: Polygon): number {
  let s = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) s += (poly[j]![0] + poly[i]![0]) * (poly[j]![1] - poly[i]![1]);
  return Math.abs(s / 2);
}

/** Frigate's convention: an object stands where the bottom centre of its box is. */
export function bottomCentre(b: BBox): Point {
  return [(b[0] + b[2]) / 2, b[3]];
}

export function boxArea(b: BBox): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function intersectionArea(a: BBox, b: BBox): number {
  return Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
}

export function iou(a: BBox, b: BBox): number {
  const inter = intersectionArea(a, b);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Intersection over the smaller box: 1 when one box lies inside the other, whatever their sizes. */
export function overlapOfSmaller(a: BBox, b: BBox): number {
  const smaller = Math.min(boxArea(a), boxArea(b));
  return smaller > 0 ? intersectionArea(a, b) / smaller : 0;
}

/** Fraction of box `a` that lies inside box `b`. */
export function coveredBy(a: BBox, b: BBox): number {
  const area = boxArea(a);
  return area > 0 ? intersectionArea(a, b) / area : 0;
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

export function scaleBox(b: BBox, sx: number, sy: number): [number, number, number, number] {
  return [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy];
}
