import type { Alarm } from '../common/alarm.ts';
import type { BBox } from '../common/geometry.ts';
import type { DensityMap } from './density/density-grid.ts';

/**
 * The seams of the edge pipeline (shared/DESIGN.md):
 * source ─► decoder ─► batcher ─► detector pool ─► analyzers ─► alarm sink.
 * Each is a small factory interface so that tests and replay can swap parts.
 */

/** One decoded frame, raw RGB24, at the detect size. */
export interface Frame {
  camera: string;
  /** monotonically increasing per camera */
  seq: number;
  width: number;
  height: number;
  /** width*height*3 bytes, RGB */
  data: Uint8Array;
  /** wall-clock ms when the frame left the decoder */
  capturedAt: number;
  /** seconds into the media (files); for live streams, seconds since the stream started */
  mediaTime: number;
  /** size of the original source, so that boxes can be reported in source pixels */
  sourceWidth: number;
  sourceHeight: number;
}

/** One detection, in the frame's pixel coordinates. */
export interface Detection {
  bbox: BBox;
  score: number;
  /** COCO class index (0 = person) */
  classId: number;
  label: string;
}

export interface DetectionResult {
  frame: Frame;
  detections: Detection[];
  /**
   * Optional dense-crowd evidence from the model: the person heatmap summed
   * per zone, or any other estimator output keyed by name.
   */
  extras?: Record<string, unknown>;
  /**
   * Persons per cell over the whole frame, from the learned density head on
   * the detector's own backbone pass (present when requested and installed).
   */
  density?: DensityMap;
  inferenceMs: number;
  /** the density head's share of inferenceMs */
  densityMs?: number;
  /**
   * change-gated inference: this frame had not changed since frame `reusedFrom`
   * (a seq of the same camera), whose detections and density it carries;
   * inferenceMs is 0
   */
  reusedFrom?: number;
}

/** Where frames come from: a file, an RTSP URL, or an ONVIF camera resolved to RTSP. */
export interface CameraSource {
  readonly id: string;
  /** a URL or path safe to log (credentials masked) */
  readonly display: string;
  /** resolves the input ffmpeg should open (for ONVIF this performs discovery) */
  resolve(): Promise<{
    input: string; realtime: boolean; loop: boolean; isLive: boolean;
    /** RTSP lower transport; tcp (interleaved) unless the source says otherwise */
    rtspTransport?: 'tcp' | 'udp';
  }>;
}

export type DecoderStatus =
  | { type: 'started'; camera: string; attempt: number }
  | { type: 'stalled'; camera: string; silentMs: number; lastLog: string[] }
  | { type: 'exited'; camera: string; code: number | null; lastLog: string[] }
  | { type: 'restarting'; camera: string; attempt: number; delayMs: number }
  | { type: 'ended'; camera: string }
  | { type: 'failed'; camera: string; error: Error };

/** Turns a source into frames; restarts itself under a watchdog for live sources. */
export interface FrameDecoder {
  start(): void;
  stop(): Promise<void>;
  /** frames, newest last; the consumer must not hold them beyond its own processing */
  frames(): AsyncIterable<Frame>;
  status(): AsyncIterable<DecoderStatus>;
}

/**
 * Per-request detection options. `heatmap` adds `extras.personHeatmap`
 * ({ width: 128, height: 128, data: Float32Array }, the model's person-centre
 * heatmap); `density` adds `density`, the learned persons-per-cell map, from
 * the same backbone pass; `tiles` splits a large still into rows×cols tiles,
 * each seen at the model's resolution (detections merged by NMS, density maps
 * stitched). Live frames are never tiled: one pass per frame.
 */
export interface DetectRequestOptions {
  heatmap?: boolean;
  density?: boolean;
  tiles?: { rows: number; cols: number; overlap?: number };
}

/** Runs detection over a batch of frames; a pool implements the same interface. */
export interface Detector {
  readonly name: string;
  readonly backend: string;
  /**
   * frames it works on at once (a pool: its workers). The live pipeline never
   * hands it more, so that frames wait in the batcher, where a newer frame of
   * the same camera replaces an older one and the earliest deadline goes
   * first, not in a queue inside the detector. @default 1
   */
  readonly concurrency?: number;
  detect(frames: readonly Frame[], options?: DetectRequestOptions): Promise<DetectionResult[]>;
  close(): Promise<void>;
}

/** Per-camera analytics stage: consumes frames with their detections, emits alarms. */
export interface Analyzer {
  readonly name: string;
  /** called for every detected frame in order */
  process(result: DetectionResult): AnalyzerOutput[];
  /** called when no frames arrive (offline detection) with the current wall time */
  tick?(nowMs: number): AnalyzerOutput[];
  /** emits `cleared` for every open alarm (end of replay, shutdown) */
  flush?(nowMs: number): AnalyzerOutput[];
}

/** An alarm before the sink gives it snapshot and transport fields. */
export interface AnalyzerOutput {
  alarm: Omit<Alarm, 'snapshot' | 'edge' | 'site' | 'v'>;
  /** the frame that is the evidence, for the snapshot */
  evidence?: Frame;
  /** boxes to draw on the snapshot, in frame pixels */
  draw?: BBox[];
  /** person boxes to blur when the site asks for it */
  persons?: BBox[];
}

/** Where alarms go: the JetStream outbox in production, stdout in replay, an array in tests. */
/** the frame an alarm was raised on, with the boxes to draw on its snapshot */
export interface AlarmEvidence { frame: Frame; draw?: BBox[]; persons?: BBox[] }

export interface AlarmSink {
  send(alarm: Alarm, evidence?: AlarmEvidence): Promise<void>;
  close(): Promise<void>;
}
