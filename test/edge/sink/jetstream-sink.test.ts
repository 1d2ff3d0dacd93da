import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { connectNats } from '../../../common/transport/nats-connect.ts';
import { ensureAlarmStream, ensureSnapshotBucket, snapshotBucketFor } from '../../../common/transport/alarm-stream.ts';
import { MAX_ALARM_BYTES } from '../../../common/alarm.ts';
import { TransportError, ValidationError } from '../../../common/errors.ts';
import { OutboxFullError, openOutbox } from '../../../edge/sink/outbox.ts';
import { createJetStreamSink } from '../../../edge/sink/jetstream-sink.ts';
import type { SinkStatus } from '../../../edge/sink/publisher.ts';
import { renderSnapshot } from '../../../edge/sink/snapshot.ts';
import { putSnapshotObject } from '../../../edge/sink/snapshot-upload.ts';
import type { Frame } from '../../../edge/types.ts';
import { makeAlarm } from '../../transport/fixtures/alarms.ts';
import { readAlarmIds, readAlarms } from '../../transport/fixtures/stream.ts';

/** A frame with a fine checkerboard: blurring it flattens the local contrast, which we can measure. */
function checkerFrame(w = 200, h = 150): Frame {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill((x + y) % 2 ? 230 : 20, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { camera: 'cam1', seq: 7, width: w, height: h, data, capturedAt: Date.now(), mediaTime: 1.5, sourceWidth: w, sourceHeight: h };
}

async function contrast(jpeg: Buffer, box: [number, number, number, number]): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let n = 0;
  for (let y = box[1] + 2; y < box[3] - 2; y++) for (let x = box[0] + 2; x < box[2] - 3; x++) {
    const i = (y * info.width + x) * info.channels;
    sum += Math.abs(data[i]! - data[i + info.channels]!);
    n++;
  }
  return sum / n;
}

const SNAPSHOT_BUCKET = snapshotBucketFor('s1');

describe('createJetStreamSink', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start({ config: 'authorization { users: [ { user: "edge", password: "right-pw" } ] }' });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-sink-'));
    nc = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'edge', pass: 'right-pw' }, retryFirstConnect: false });
    await ensureAlarmStream(await jetstreamManager(nc));
    await ensureSnapshotBucket(nc, { bucket: SNAPSHOT_BUCKET });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the snapshot in the Object Store, names it in the alarm, then publishes', async () => {
    const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'a.db') }), site: 's1', edgeId: 'e1', snapshots: { blurPersons: true } });
    const alarm = makeAlarm('s1', 'e1', 1, 'critical');
    await sink.send(alarm, { frame: checkerFrame(), draw: [[20, 20, 80, 80]], persons: [[100, 20, 180, 130]] });
    await sink.drained();
    const ids = await readAlarmIds(nc);
    expect(ids).toContain(alarm.id);
    const os = await new Objm(nc).open(SNAPSHOT_BUCKET);
    const name = `s1/cam1/${alarm.id}.jpg`;
    const jpeg = Buffer.from((await os.getBlob(name))!);
    const meta = await sharp(jpeg).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([200, 150]);
    // the person box is blurred, the rest of the checkerboard is not
    expect(await contrast(jpeg, [100, 20, 180, 130])).toBeLessThan(20);
    expect(await contrast(jpeg, [5, 90, 95, 145])).toBeGreaterThan(100);
    await sink.close();
  });

  it('names the snapshot in alarm.snapshot with its size and blur flag', async () => {
    const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'b.db') }), site: 's1', edgeId: 'e1', snapshots: { blurPersons: false } });
    const alarm = makeAlarm('s1', 'e1', 2);
    await sink.send(alarm, { frame: checkerFrame(), persons: [[100, 20, 180, 130]] });
    await sink.drained();
    const found = (await readAlarms(nc)).find((a) => a.id === alarm.id);
    expect(found?.snapshot).toEqual({ bucket: SNAPSHOT_BUCKET, name: `s1/cam1/${alarm.id}.jpg`, width: 200, height: 150, blurred: false });
    await sink.close();
  });

  it('writes objects in the Object Store format, across several chunks, readable with nats.js', async () => {
    const data = new Uint8Array(300 * 1024).map((_, i) => (i * 7919) % 251);
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    await putSnapshotObject(js, nc, SNAPSHOT_BUCKET, 's1/cam9/multi-chunk.jpg', data, { timeoutMs: 5_000, maxChunkBytes: 64 * 1024 });
    const os = await new Objm(nc).open(SNAPSHOT_BUCKET);
    const info = await os.info('s1/cam9/multi-chunk.jpg');
    expect(info?.chunks).toBe(5);
    // getBlob checks the SHA-256 digest
    expect(Buffer.from((await os.getBlob('s1/cam9/multi-chunk.jpg'))!).equals(Buffer.from(data))).toBe(true);
  });

  it('draws the boxes on the snapshot', async () => {
    const w = 100;
    const h = 80;
    const frame: Frame = { ...checkerFrame(w, h), data: new Uint8Array(w * h * 3).fill(0) };
    const r = await renderSnapshot(frame, [[10, 10, 60, 60]], [], {});
    const { data, info } = await sharp(r.jpeg).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => data[(y * info.width + x) * info.channels]!;
    expect(px(10, 35)).toBeGreaterThan(150); // on the left edge: red
    expect(px(35, 35)).toBeLessThan(40); // inside: untouched black
  });

  it('refuses malformed and oversized alarms with a ValidationError naming the field, keeping nothing', async () => {
    const sink = createJetStreamSink({ nc, outbox: openOutbox({ file: path.join(dir, 'c.db') }), site: 's1', edgeId: 'e1' });
    const bad = { ...makeAlarm('s1', 'e1', 3), severity: 'loud' };
    const e1 = await sink.send(bad as never).catch((e) => e);
    expect(e1).toBeInstanceOf(ValidationError);
    expect(e1.field).toBe('severity');
    const e2 = await sink.send({ ...makeAlarm('s1', 'e1', 4), crowd: undefined } as never).catch((e) => e);
    expect(e2.field).toBe('crowd');
    const big = makeAlarm('s1', 'e1', 5, 'warning');
    big.kind = 'sensor.input';
    delete big.crowd;
    big.sensor = { sensorId: 'x', type: 'input', source: 'webhook', payload: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'x'.repeat(60)])) };
    const e3 = await sink.send(big).catch((e) => e);
    expect(e3).toBeInstanceOf(ValidationError);
    expect(e3.field).toBe('payload');
    expect(e3.message).toMatch(new RegExp(`${MAX_ALARM_BYTES}`));
    const e4 = await sink.send(makeAlarm('s1', 'e1', 6), { frame: { ...checkerFrame(), data: new Uint8Array(10) } }).catch((e) => e);
    expect(e4.field).toBe('evidence.frame.data');
    const e5 = await sink.send(makeAlarm('s1', 'other-edge', 7)).catch((e) => e);
    expect(e5.field).toBe('edge');
    expect(sink.stats().outbox.depth).toBe(0);
    await sink.close();
  });

  it('a full outbox follows its policy while the link is down, and reports it on the status stream', async () => {
    const never = new Promise<NatsConnection>(() => {});
    const sink = createJetStreamSink({ nc: never, outbox: openOutbox({ file: path.join(dir, 'full.db'), maxRows: 2 }), site: 's1', edgeId: 'e1', snapshots: false });
    const events: SinkStatus[] = [];
    void (async () => { for await (const e of sink.status()) events.push(e); })();
    const info = makeAlarm('s1', 'e1', 20, 'info');
    await sink.send(info);
    await sink.send(makeAlarm('s1', 'e1', 21, 'critical'));
    await sink.send(makeAlarm('s1', 'e1', 22, 'critical')); // evicts the info
    await expect(sink.send(makeAlarm('s1', 'e1', 23, 'warning'))).rejects.toBeInstanceOf(OutboxFullError);
    await sink.send(makeAlarm('s1', 'e1', 24, 'critical')); // a critical is never refused
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toContainEqual({ type: 'dropped', id: info.id, severity: 'info', reason: 'evicted' });
    expect(events.some((e) => e.type === 'dropped' && e.reason === 'refused' && e.severity === 'warning')).toBe(true);
    expect(events.some((e) => e.type === 'full')).toBe(true);
    expect(sink.stats().outbox.bySeverity).toEqual({ info: 0, warning: 0, critical: 3 });
    await sink.close();
  });

  it('bad credentials: a clear error, retries with backoff, and alarms stay in the outbox until the link works', async () => {
    const failures: TransportError[] = [];
    const ctrl = new AbortController();
    const pending = connectNats({
      servers: [server.url], auth: { type: 'userpass', user: 'edge', pass: 'wrong-pw' }, initialDelayMs: 100, maxDelayMs: 300, signal: ctrl.signal,
      onAttemptFailed: (e) => { failures.push(e); if (failures.length >= 3) ctrl.abort(); },
    });
    const file = path.join(dir, 'd.db');
    const sink = createJetStreamSink({ nc: pending, outbox: openOutbox({ file }), site: 's1', edgeId: 'e1', snapshots: false });
    const events: SinkStatus[] = [];
    void (async () => { for await (const e of sink.status()) events.push(e); })();
    const alarms = [makeAlarm('s1', 'e1', 8, 'critical'), makeAlarm('s1', 'e1', 9, 'info')];
    for (const a of alarms) await sink.send(a);
    await expect(pending).rejects.toThrow(/abandoned/);
    expect(failures.map((f) => f.code)).toEqual(['NATS_AUTH', 'NATS_AUTH', 'NATS_AUTH']);
    expect(failures[0]!.message).toMatch(/refused user "edge".*check the nats.auth credentials/);
    expect(failures[0]!.message).not.toMatch(/wrong-pw/);
    expect(events.some((e) => e.type === 'error')).toBe(true);
    expect(sink.stats().outbox.depth).toBe(2);
    await sink.close();

    // the same outbox with good credentials delivers them
    const good = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'edge', pass: 'right-pw' }, retryFirstConnect: false });
    const again = createJetStreamSink({ nc: good, outbox: openOutbox({ file }), site: 's1', edgeId: 'e1', snapshots: false });
    await again.drained();
    const ids = await readAlarmIds(nc);
    for (const a of alarms) expect(ids).toContain(a.id);
    await again.close();
    await good.close();
  });
});
