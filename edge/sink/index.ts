/** The edge's alarm transport: what cli/edge.ts and the demo import. */
export { createJetStreamSink } from './jetstream-sink.ts';
export type { JetStreamSink, JetStreamSinkOptions } from './jetstream-sink.ts';
export { Outbox, OutboxFullError, openOutbox } from './outbox.ts';
export type { OutboxOptions, OutboxStatus, OutboxStats } from './outbox.ts';
export type { SinkStatus, PublisherStatus, PublisherStats } from './publisher.ts';
export { startHeartbeat, healthPayloadSchema, parseHealth } from './heartbeat.ts';
export type { HealthPayload, HealthMessage, Heartbeat } from './heartbeat.ts';
export { renderSnapshot } from './snapshot.ts';
