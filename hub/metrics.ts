import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubEvents } from './events.ts';
import type { IngestMetrics } from './ingest/ingest.ts';

/** Prometheus metrics of one hub process (served at /metrics). */
export function createHubMetrics(events: HubEvents, now: () => number = Date.now): { registry: Registry; ingest: IngestMetrics; render(): Promise<{ contentType: string; body: string }> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_hub_' });
  const stored = new Counter({ name: 'vigil_hub_alarms_stored_total', help: 'Alarms stored (first delivery)', registers: [registry] });
  const dupes = new Counter({ name: 'vigil_hub_alarms_duplicate_total', help: 'Redelivered or duplicate alarms skipped', registers: [registry] });
  const dead = new Counter({ name: 'vigil_hub_alarms_dead_lettered_total', help: 'Alarms refused and dead-lettered', registers: [registry] });
  const transient = new Counter({ name: 'vigil_hub_store_transient_failures_total', help: 'Batches naked because the store was unavailable', registers: [registry] });
  const batch = new Histogram({ name: 'vigil_hub_ingest_batch_seconds', help: 'Time to store and acknowledge one batch', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const batchSize = new Histogram({ name: 'vigil_hub_ingest_batch_size', help: 'Messages per batch', buckets: [1, 5, 10, 50, 100, 250, 500, 1000], registers: [registry] });
  const ackWait = new Gauge({ name: 'vigil_hub_consumer_ack_wait_seconds', help: 'Current consumer ack_wait, set from the measured p99 handling time', registers: [registry] });
  const incidents = new Counter({ name: 'vigil_hub_incidents_total', help: 'Incident changes by kind of change', labelNames: ['change'] as const, registers: [registry] });
  const age = new Histogram({ name: 'vigil_hub_alarm_age_at_store_seconds', help: 'Capture time to stored and correlated (includes edge clock skew and outbox time)', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [registry] });
  events.on('alarm.ingested', (e) => age.observe(Math.max(0, now() - e.data.capturedAtMs) / 1000));
  events.on('incident.created', () => incidents.inc({ change: 'created' }));
  events.on('incident.updated', (e) => incidents.inc({ change: e.data.change }));
  return {
    registry,
    ingest: {
      batch: (size, ms) => { batch.observe(ms / 1000); batchSize.observe(size); },
      stored: (n) => stored.inc(n),
      duplicates: (n) => dupes.inc(n),
      deadLettered: (n) => dead.inc(n),
      transientFailure: () => transient.inc(),
      ackWait: (ms) => ackWait.set(ms / 1000),
    },
    async render() { return { contentType: registry.contentType, body: await registry.metrics() }; },
  };
}
