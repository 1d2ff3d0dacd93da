import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_ALARM_BYTES, parseAlarm, snapshotRef, type Alarm } from '../../common/alarm.ts';
import { ValidationError } from '../../common/errors.ts';
import type { BBox } from '../../common/geometry.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { alarmSubject } from '../../common/subjects.ts';
import { MAX_SNAPSHOT_BYTES, snapshotBucketFor, snapshotObjectName } from '../../common/transport/alarm-stream.ts';
import type { AlarmSink, Frame } from '../types.ts';
import type { Outbox, OutboxStats } from './outbox.ts';
import { createOutboxPublisher, type OutboxPublisher, type OutboxPublisherOptions, type PublisherStats, type SinkStatus } from './publisher.ts';
import { renderSnapshot } from './snapshot.ts';

export interface JetStreamSinkOptions {
  /** may still be connecting: `send` only needs the outbox */
  nc: NatsConnection | Promise<NatsConnection>;
  /** the sink takes it over and closes it on close() */
  outbox: Outbox;
  /** snapshot settings; false to send alarms without pictures */
  snapshots?: { bucket?: string; blurPersons?: boolean; quality?: number } | false;
  site: string;
  edgeId: string;
  logger?: Logger;
  publisher?: Omit<OutboxPublisherOptions, 'nc' | 'outbox' | 'bucket' | 'logger'>;
}

export interface JetStreamSink extends AlarmSink {
  /** link, outbox depth, drops, disk warnings, publish errors: one typed stream */
  status(): AsyncIterableIterator<SinkStatus>;
  stats(): { outbox: OutboxStats; publisher: PublisherStats };
  /** resolves when every accepted alarm has its PubAck */
  drained(): Promise<void>;
}

/**
 * The production AlarmSink. `send` validates the alarm, renders its snapshot
 * and commits both to the outbox; it resolves once they are on disk, before
 * any network I/O. The publisher uploads the snapshot, then publishes the
 * alarm with msgID = alarm id, and deletes it on the PubAck.
 */
const textEncoder = new TextEncoder();

export function createJetStreamSink(options: JetStreamSinkOptions): JetStreamSink {
  const { outbox, site, edgeId } = options;
  const logger = options.logger ?? silentLogger;
  const snap = options.snapshots === false ? null : Object.freeze({
    bucket: options.snapshots?.bucket ?? snapshotBucketFor(site),
    blurPersons: options.snapshots?.blurPersons ?? false,
    quality: options.snapshots?.quality ?? 80,
  });
  // Checked now, so that a bad site or edge id fails at start and not on the first alarm.
  alarmSubject(site, 'probe', 'crowd.density');
  if (!edgeId) throw new ValidationError('edgeId', 'is required');
  const publisher: OutboxPublisher = createOutboxPublisher({ ...options.publisher, nc: options.nc, outbox, logger, ...(snap ? { bucket: snap.bucket } : {}) });
  publisher.start();
  let closed = false;

  return {
    async send(input: Alarm, evidence?: { frame: Frame; draw?: BBox[]; persons?: BBox[] }): Promise<void> {
      if (closed) throw new ValidationError('sink', 'is closed');
      let alarm = parseAlarm(input);
      if (alarm.site !== site) throw new ValidationError('site', `"${alarm.site}" is not this edge's site "${site}"`);
      if (alarm.edge !== edgeId) throw new ValidationError('edge', `"${alarm.edge}" is not this edge "${edgeId}"`);
      let snapshot: { name: string; jpeg: Uint8Array } | undefined;
      let payloadWithoutSnapshot: Uint8Array | undefined;
      // Under disk pressure the outbox keeps alarms without pictures: do not render one for nothing.
      if (snap && evidence && outbox.keepsSnapshots) {
        payloadWithoutSnapshot = textEncoder.encode(JSON.stringify(alarm));
        const r = await renderSnapshot(evidence.frame, evidence.draw ?? [], evidence.persons ?? [], { blurPersons: snap.blurPersons, quality: snap.quality });
        if (r.jpeg.byteLength > MAX_SNAPSHOT_BYTES) throw new ValidationError('evidence.frame', `snapshot ${r.jpeg.byteLength} bytes exceeds ${MAX_SNAPSHOT_BYTES}`);
        const name = snapshotObjectName(site, alarm.camera, alarm.id);
        alarm = { ...alarm, snapshot: snapshotRef.parse({ bucket: snap.bucket, name, width: r.width, height: r.height, blurred: r.blurred }) };
        snapshot = { name, jpeg: r.jpeg };
      }
      // Already validated above; the snapshot ref was built here, so encode without a second parse.
      const payload = textEncoder.encode(JSON.stringify(alarm));
      if (payload.byteLength > MAX_ALARM_BYTES) throw new ValidationError('payload', `${payload.byteLength} bytes exceeds the ${MAX_ALARM_BYTES}-byte limit`);
      await outbox.put({ id: alarm.id, subject: alarmSubject(site, alarm.camera, alarm.kind), severity: alarm.severity, payload, snapshot, payloadWithoutSnapshot });
    },
    async close() {
      if (closed) return;
      closed = true;
      await publisher.stop();
      outbox.close();
    },
    status: () => publisher.status(),
    stats: () => ({ outbox: outbox.stats(), publisher: publisher.stats() }),
    drained: () => publisher.drained(),
  };
}
