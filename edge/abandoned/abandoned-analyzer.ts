import type { Analyzer, AnalyzerOutput, DetectionResult, Frame } from '../types.ts';
import type { DensityMap } from '../density/density-grid.ts';
import type { CameraConfig } from '../../common/config/site.ts';
import { abandonedSchema, type AbandonedConfig, type ZoneConfig } from '../../common/config/zone.ts';
import { newAlarmId } from '../../common/alarm.ts';
import { ValidationError } from '../../common/errors.ts';
import { bottomCentre, coveredBy, pointInPolygon, polygonArea, scaleBox, type BBox } from '../../common/geometry.ts';
import { createBackgroundModel, type BackgroundModel, type BackgroundModelOptions } from './background-model.ts';
import { createObjectTracker, type ObjectTracker, type TrackedObject, type TrackerRules } from './object-tracker.ts';
import { createPersonTracker, type PersonTracker } from './person-tracks.ts';

export interface AbandonedAnalyzerOptions {
  camera: CameraConfig;
  /** site-wide defaults; zones may override */
  defaults: AbandonedConfig;
  /** `vigil replay --dwell S` */
  dwellOverrideS?: number;
  /** tuning of the background model (tests, benches) */
  background?: Omit<BackgroundModelOptions, 'width' | 'height'>;
}

/** COCO-80, 0-indexed: backpack, handbag, suitcase. */
export const BAG_CLASSES: ReadonlySet<number> = new Set([24, 26, 28]);
const PERSON = 0;
/**
 * car, motorcycle, bus, train, truck. A static change on one (a boot or door
 * left open, a car that parked) is parking, a rule of its own, not an object
 * left behind; bicycles stay objects, since one can be left like a bag.
 */
export const VEHICLE_CLASSES: ReadonlySet<number> = new Set([2, 3, 5, 6, 7]);
const VEHICLE_MIN_SCORE = 0.3;
/** Vehicle boxes are remembered this long: a parked car's score flickers around the threshold from frame to frame. */
const VEHICLE_MEMORY_S = 5;
/** Fraction of a blob inside a vehicle box for the blob to be part of the vehicle. */
const VEHICLE_COVER = 0.6;
/** Below this a person detection is too doubtful to mask the background or attend an object. */
const PERSON_MIN_SCORE = 0.3;
/** Fraction of a person box that must differ from the long-term background for it to count as someone there. */
const PERSON_MIN_PRESENCE = 0.15;
/** Longest side over shortest side beyond which a static change is not taken for an object. */
const MAX_ASPECT = 4;
/** Static cells over the cells of the blob's box below which it is tape, a cable or a branch, not an object. */
const MIN_SOLIDITY = 0.35;
/** Persons the density head must put on a blob for it to be someone sitting or standing there, not a thing. */
const HEAT_PERSONS = 0.35;
/** Where nothing is calibrated, a person's own height is about this many metres: the attendance radius scales with it. */
const PERSON_HEIGHT_M = 1.7;

/** Persons the density map puts on a box in frame pixels. */
function heatOn(map: DensityMap, frame: Frame, box: BBox): number {
  const sx = map.width / frame.width, sy = map.height / frame.height;
  const x1 = Math.max(0, Math.floor(box[0] * sx)), x2 = Math.min(map.width, Math.ceil(box[2] * sx));
  const y1 = Math.max(0, Math.floor(box[1] * sy)), y2 = Math.min(map.height, Math.ceil(box[3] * sy));
  let sum = 0;
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) sum += Math.max(0, map.data[y * map.width + x]!);
  return sum;
}

interface ZoneRules { zone: string | null; config: AbandonedConfig; metresPerPx: number | null }

/**
 * `object.abandoned`, class-agnostic: any new object that stays still in a
 * watched area (background-model.ts finds it, object-tracker.ts follows it)
 * raises an alarm once it has been there for the dwell and nobody has been
 * near it for the grace period; it clears when the object is taken away.
 * The detector's bag classes only name the object and raise the confidence.
 */
export function createAbandonedAnalyzer(options: AbandonedAnalyzerOptions): Analyzer {
  const camera = options.camera;
  const defaults = Object.freeze(abandonedSchema.parse(options.defaults ?? {}));
  if (options.dwellOverrideS !== undefined && !(options.dwellOverrideS > 0)) {
    throw new ValidationError('dwell', `must be a positive number of seconds, got ${options.dwellOverrideS}`);
  }
  const zones: readonly ZoneConfig[] = camera.zones ?? [];
  // Layers: site defaults, then the camera (its exclusion masks), then the zone.
  const cameraDefaults: AbandonedConfig = Object.freeze(abandonedSchema.parse({ ...defaults, ...(camera.abandoned ?? {}) }));
  const zoneConfigs = new Map(zones.map((z) => [z.id, Object.freeze(abandonedSchema.parse({ ...cameraDefaults, ...(z.abandoned ?? {}) }))]));
  let model: BackgroundModel | null = null;
  /** wall ms of the frame being analysed: alarm episode ids are minted from it */
  let capturedAt = 0;
  const newTracker = (idPrefix: string) => createObjectTracker({ idPrefix, newEpisode: () => newAlarmId(capturedAt) });
  let tracker: ObjectTracker = newTracker(`${camera.id}-obj`);
  let people: PersonTracker = createPersonTracker();
  let last: Frame | null = null;
  /** vehicle boxes seen lately (see VEHICLE_CLASSES) */
  let vehicles: { t: number; box: BBox }[] = [];

  function zoneRules(point: readonly [number, number]): ZoneRules {
    const zone = zones.find((z) => pointInPolygon(point, z.polygon));
    const config = zone ? zoneConfigs.get(zone.id)! : cameraDefaults;
    // A flat-floor scale from the zone's real area over its area in pixels: coarse under perspective, right within a factor of two.
    const metresPerPx = zone && config.calibration === 'zone' ? Math.sqrt(zone.areaM2 / Math.max(1, polygonArea(zone.polygon))) : null;
    return { zone: zone?.id ?? null, config, metresPerPx };
  }

  function toSource(frame: Frame, box: BBox): [number, number, number, number] {
    const b = scaleBox(box, frame.sourceWidth / frame.width, frame.sourceHeight / frame.height);
    return [Math.round(b[0]), Math.round(b[1]), Math.round(b[2]), Math.round(b[3])];
  }

  function rulesFor(frame: Frame, box: BBox): TrackerRules | null {
    const src = toSource(frame, box);
    const point = bottomCentre(src);
    const { config, metresPerPx } = zoneRules(point);
    if (!config.enabled) return null;
    if (config.include && !config.include.some((p) => pointInPolygon(point, p))) return null;
    if (config.exclude?.some((p) => pointInPolygon(point, p))) return null;
    const w = src[2] - src[0], h = src[3] - src[1];
    const [minSide, maxSide] = metresPerPx ? [config.minSizeM / metresPerPx, config.maxSizeM / metresPerPx] : [config.minSizePx, config.maxSizePx];
    if (Math.min(w, h) < minSide || Math.max(w, h) > maxSide) return null;
    // Bags, boxes and cases are compact; long thin static changes are tape, cables, shadows of rails.
    if (Math.max(w, h) > MAX_ASPECT * Math.min(w, h)) return null;
    const toFrame = frame.width / frame.sourceWidth;
    const dwellS = options.dwellOverrideS ?? config.dwellS;
    return {
      dwellS,
      // --dwell keeps the unowned dwell at least twice the owned one, as the defaults are.
      unownedDwellS: !config.unowned ? null : options.dwellOverrideS !== undefined ? Math.max(config.unownedDwellS, 2 * options.dwellOverrideS) : config.unownedDwellS,
      graceS: config.graceS,
      attendRadius: (metresPerPx ? config.attendRadiusM / metresPerPx : config.attendRadiusPx) * toFrame,
      ...(metresPerPx ? {} : { attendHeights: config.attendRadiusM / PERSON_HEIGHT_M }),
    };
  }

  function output(frame: Frame, t: TrackedObject, state: 'raised' | 'cleared', dwellSeconds: number): AnalyzerOutput {
    const bbox = toSource(frame, t.anchor);
    const zone = zoneRules(bottomCentre(bbox)).zone;
    // Class-agnostic evidence is good; a detector that agrees makes it better; nobody seen leaving it makes it weaker.
    const base = t.owned ? 0.6 : 0.4;
    const confidence = t.label ? Math.min(1, base + 0.4 * t.labelScore) : base;
    const what = t.label ?? 'object';
    const episode = t.alarm.episode!;
    if (state === 'cleared') t.alarm.clearNow(frame.mediaTime);
    return {
      alarm: {
        id: newAlarmId(),
        kind: 'object.abandoned',
        state,
        severity: 'warning',
        camera: camera.id,
        zone,
        episode,
        capturedAt: new Date(frame.capturedAt).toISOString(),
        mediaTime: frame.mediaTime,
        message: state === 'raised' ? `unattended ${what} for ${Math.round(dwellSeconds)} s` : `${what} removed`,
        object: { bbox, class: t.label, dwellSeconds: Math.max(0, Math.round(dwellSeconds * 10) / 10), confidence: Math.round(confidence * 100) / 100, objectId: t.id },
      },
      evidence: frame,
      draw: [[...t.anchor]],
    };
  }

  function process(result: DetectionResult): AnalyzerOutput[] {
    const frame = result.frame;
    capturedAt = frame.capturedAt;
    if (!model || model.cols !== Math.floor(frame.width / model.cell) || model.rows !== Math.floor(frame.height / model.cell)) {
      model = createBackgroundModel({ ...options.background, width: frame.width, height: frame.height });
    }
    const outputs: AnalyzerOutput[] = [];
    const persons = result.detections.filter((d) => d.classId === PERSON && d.score >= PERSON_MIN_SCORE).map((d) => d.bbox);
    const bags = result.detections.filter((d) => BAG_CLASSES.has(d.classId)).map((d) => ({ bbox: d.bbox, label: d.label, score: d.score }));
    vehicles = vehicles.filter((v) => frame.mediaTime - v.t <= VEHICLE_MEMORY_S && v.t <= frame.mediaTime);
    for (const d of result.detections) if (VEHICLE_CLASSES.has(d.classId) && d.score >= VEHICLE_MIN_SCORE) vehicles.push({ t: frame.mediaTime, box: d.bbox });
    const bg = model.update(frame.data, frame.mediaTime, persons);
    if (bg.rebaselined) {
      // The whole scene changed (or this is the first frame): nothing tracked before is meaningful now.
      for (const t of tracker.reset()) outputs.push(output(frame, t, 'cleared', frame.mediaTime - t.since));
      tracker = newTracker(`${camera.id}-obj-${frame.seq}`);
      people = createPersonTracker();
    }
    const m = model;
    // A "person" that looks exactly like the long-term background is a post or
    // a rock the detector keeps mistaking; it must not attend anything.
    const present = persons.filter((p) => m.presence([Math.floor(p[0] / m.cell), Math.floor(p[1] / m.cell), Math.ceil(p[2] / m.cell), Math.ceil(p[3] / m.cell)]) >= PERSON_MIN_PRESENCE);
    const live = people.step(frame.mediaTime, present, frame);
    const blobs = m.blobs().filter((b) =>
      // A shadow or a patch of light is the same floor; tape and branches are thin; where the density head sees a person, it is one.
      !b.lightingOnly && b.solidity >= MIN_SOLIDITY && !(result.density && heatOn(result.density, frame, b.box) >= HEAT_PERSONS)
      && !vehicles.some((v) => coveredBy(b.box, v.box) >= VEHICLE_COVER));
    const events = tracker.step({
      time: frame.mediaTime,
      blobs,
      persons: present,
      people: live,
      bags,
      presence: (cb) => m.presence(cb),
      rulesFor: (box) => rulesFor(frame, box),
      onGhost: (b) => m.absorb(b.cellBox),
    });
    m.hold(tracker.objects().map((t) => t.cellBox));
    for (const e of events) {
      if (e.type === 'abandoned') {
        outputs.push(output(frame, e.object, 'raised', e.dwellSeconds));
      } else {
        outputs.push(output(frame, e.object, 'cleared', frame.mediaTime - e.object.since));
      }
    }
    last = frame;
    return outputs;
  }

  return {
    name: 'abandoned',
    process,
    flush() {
      const open = tracker.reset();
      if (!last) return [];
      const frame = last;
      return open.map((t) => output(frame, t, 'cleared', frame.mediaTime - t.since));
    },
  };
}
