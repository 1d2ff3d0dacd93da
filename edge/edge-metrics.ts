import { Registry, Gauge, collectDefaultMetrics } from 'prom-client';
import type { PipelineMetrics } from './pipeline/edge-pipeline.ts';
import type { DiskState, OutboxStats } from './sink/outbox.ts';

const DISK_LEVEL: Record<DiskState, number> = { ok: 0, low: 1, reserve: 2, full: 3 };

/**
 * Prometheus metrics of an edge node, read from the pipeline and the outbox
 * when scraped, so that the hot path keeps plain counters only.
 */
export function createEdgeMetrics(read: () => { pipeline: PipelineMetrics; outbox: OutboxStats | null; link: 'up' | 'down' }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_edge_process_' });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect() { collect(this); } });

  gauge('vigil_edge_frames_total', 'frames decoded, by camera', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.framesIn);
  });
  gauge('vigil_edge_frames_detected_total', 'frames that went through detection, by camera', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.detected);
  });
  gauge('vigil_edge_frames_gated_total', 'frames that skipped detection (no change) and reused the last detection, by camera', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.gated);
  });
  gauge('vigil_edge_camera_overloaded', '1 while the detector cannot keep up with the camera and its detect rate is lowered', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.overloaded ? 1 : 0);
  });
  gauge('vigil_edge_frames_dropped_total', 'stale or superseded frames dropped, by camera', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.dropped);
  });
  gauge('vigil_edge_detect_fps', 'detected frames per second, by camera', ['camera'], (g) => {
    for (const c of read().pipeline.cameras) g.set({ camera: c.camera }, c.fps);
  });
  gauge('vigil_edge_queue_age_p95_ms', 'frame capture to detection start, p95', [], (g) => g.set(read().pipeline.queueAgeMs.p95 ?? 0));
  gauge('vigil_edge_frame_to_alarm_p95_ms', 'frame capture to alarm committed, p95', [], (g) => g.set(read().pipeline.latencyMs.p95 ?? 0));
  gauge('vigil_edge_inference_ms', 'mean inference time per frame', [], (g) => g.set(read().pipeline.inferenceMs.mean ?? 0));
  gauge('vigil_edge_alarms_total', 'alarms emitted, by kind', ['kind'], (g) => {
    for (const [kind, n] of Object.entries(read().pipeline.alarmsByKind)) g.set({ kind }, n);
  });
  gauge('vigil_edge_outbox_depth', 'alarms waiting for their PubAck', [], (g) => g.set(read().outbox?.depth ?? 0));
  gauge('vigil_edge_outbox_dropped_total', 'alarms dropped by the outbox policy', [], (g) => g.set(read().outbox?.dropped ?? 0));
  gauge('vigil_edge_outbox_held', 'alarms waiting in memory for the disk (edge.disk full)', [], (g) => g.set(read().outbox?.disk.held ?? 0));
  gauge('vigil_edge_outbox_refused_total', 'alarms refused (outbox full of higher severities, or disk full with the memory queue full)', [], (g) => g.set(read().outbox?.refused ?? 0));
  gauge('vigil_edge_disk_state', 'edge.disk: 0 ok, 1 low (no snapshots kept), 2 on the reserve, 3 full (alarms in memory)', [], (g) => g.set(DISK_LEVEL[read().outbox?.disk.state ?? 'ok']));
  gauge('vigil_edge_nats_up', '1 while the NATS link is up', [], (g) => g.set(read().link === 'up' ? 1 : 0));
  return registry;
}
