import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';
import { ensureAlarmStream, ensureSnapshotBucket, ALARM_HOLD_MS, snapshotBucketFor } from '../../common/transport/alarm-stream.ts';
import { createNkeyUser, edgeInboxPrefix, renderAuthorization } from '../../common/transport/nats-auth.ts';
import { ALARM_STREAM, healthSubject } from '../../common/subjects.ts';
import { decodeAlarm } from '../../common/alarm.ts';
import { ValidationError } from '../../common/errors.ts';
import { openOutbox } from '../../edge/sink/outbox.ts';
import { createJetStreamSink } from '../../edge/sink/jetstream-sink.ts';
import type { SinkStatus } from '../../edge/sink/publisher.ts';
import type { Frame } from '../../edge/types.ts';
import { makeAlarm } from './fixtures/alarms.ts';
import { readAlarmIds } from './fixtures/stream.ts';

const frame = (w = 160, h = 120): Frame => ({ camera: 'cam1', seq: 1, width: w, height: h, data: new Uint8Array(w * h * 3).fill(90), capturedAt: Date.now(), mediaTime: 0, sourceWidth: w, sourceHeight: h });

/** Resolves with the error a denied operation ends in (a permission error, or a timeout when the server just drops it). */
async function denied(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (err) { return err as Error; }
  throw new Error('expected the operation to be denied');
}

const SNAPSHOT_BUCKET = snapshotBucketFor('s1');

describe('edge NATS permissions (deny by default)', () => {
  let server: NatsServer;
  let hub: NatsConnection;
  let edge: NatsConnection;
  let dir: string;
  const nk = createNkeyUser();
  beforeAll(async () => {
    server = await NatsServer.start({
      config: renderAuthorization({
        hub: { auth: { user: 'hub', password: 'hub-pw' } },
        edges: [{ site: 's1', edge: 'e1', auth: { nkey: nk.publicKey } }, { site: 's2', edge: 'e2', auth: { user: 'e2', password: 'e2-pw' } }],
      }),
    });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-perm-'));
    hub = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'hub', pass: 'hub-pw' }, retryFirstConnect: false });
    await ensureAlarmStream(await jetstreamManager(hub));
    await ensureSnapshotBucket(hub, { bucket: SNAPSHOT_BUCKET });
    await ensureSnapshotBucket(hub, { bucket: snapshotBucketFor('s2') });
    edge = await connectNats({ servers: [server.url], auth: { type: 'nkey', seed: nk.seed }, inboxPrefix: edgeInboxPrefix('s1', 'e1'), retryFirstConnect: false });
  });
  afterAll(async () => {
    await edge?.close();
    await hub?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets an edge do its whole job: snapshot upload, alarm publish with PubAck, heartbeat', async () => {
    const sink = createJetStreamSink({ nc: edge, outbox: openOutbox({ file: path.join(dir, 'ok.db') }), site: 's1', edgeId: 'e1', publisher: { ackTimeoutMs: 3_000 } });
    const events: SinkStatus[] = [];
    void (async () => { for await (const e of sink.status()) events.push(e); })();
    const alarm = makeAlarm('s1', 'e1', 1);
    await sink.send(alarm, { frame: frame(), draw: [[10, 10, 50, 50]] });
    await sink.drained();
    expect(sink.stats().publisher.failures).toBe(0);
    expect(await readAlarmIds(hub)).toContain(alarm.id);
    const os = await new Objm(hub).open(SNAPSHOT_BUCKET);
    const info = await os.info(`s1/cam1/${alarm.id}.jpg`);
    expect(info?.size).toBeGreaterThan(100);
    const hb = hub.subscribe(healthSubject('s1', 'e1'), { max: 1 });
    await hub.flush();
    edge.publish(healthSubject('s1', 'e1'), '{}');
    for await (const m of hb) expect(m.string()).toBe('{}');
    // the edge may read the stream's duplicate window, and adopts it as its outbox hold time
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'hold'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(events).toContainEqual({ type: 'hold', holdMs: ALARM_HOLD_MS });
    await sink.close();
  });

  it('cannot publish alarms for another site', async () => {
    const js = jetstream(edge, { timeout: 2_000 });
    const other = makeAlarm('s2', 'e1', 1);
    const err = await denied(js.publish('vigil.alarm.s2.cam1.crowd.density', JSON.stringify(other), { msgID: other.id }));
    expect(err.message).toMatch(/permission|timeout/i);
    expect((await readAlarmIds(hub)).map((id) => id)).not.toContain(other.id);
    // and the sink refuses it before it reaches the outbox
    const sink = createJetStreamSink({ nc: edge, outbox: openOutbox({ file: path.join(dir, 'x.db') }), site: 's1', edgeId: 'e1', snapshots: false });
    await expect(sink.send(other)).rejects.toBeInstanceOf(ValidationError);
    expect(sink.stats().outbox.depth).toBe(0);
    await sink.close();
  });

  it('cannot read alarms, other heartbeats, dispatches or other edges\' replies', async () => {
    for (const subject of ['vigil.alarm.>', 'vigil.health.s2.e2', 'vigil.dispatch.u1', '_INBOX.>', `${edgeInboxPrefix('s2', 'e2')}.>`]) {
      const sub = edge.subscribe(subject);
      // nats.js closes a refused subscription with the server's permission error
      const err = await sub.closed;
      expect(err, subject).toBeInstanceOf(Error);
      expect((err as Error).message, subject).toMatch(/permission/i);
    }
  });

  it('cannot manage streams, create consumers, purge snapshots or publish another edge\'s health', async () => {
    const jsm = await jetstreamManager(edge, { timeout: 2_000 });
    expect((await denied(jsm.consumers.add(ALARM_STREAM, { durable_name: 'spy', ack_policy: 'explicit' as never }))).message).toMatch(/permission|timeout/i);
    expect((await denied(jsm.streams.delete(ALARM_STREAM))).message).toMatch(/permission|timeout/i);
    expect((await denied(jsm.streams.purge(`OBJ_${SNAPSHOT_BUCKET}`))).message).toMatch(/permission|timeout/i);
    // snapshots are write-only for an edge: no reading other sites' pictures
    expect((await denied(jsm.streams.getMessage(`OBJ_${SNAPSHOT_BUCKET}`, { seq: 1 }))).message).toMatch(/permission|timeout/i);
    expect((await denied(new Objm(edge).open(SNAPSHOT_BUCKET))).message).toMatch(/permission|timeout/i);
    // another site's bucket is not writable at all, and its own refuses a rollup (which would wipe it)
    const js = jetstream(edge, { timeout: 2_000 });
    expect((await denied(js.publish(`$O.${snapshotBucketFor('s2')}.C.x`, 'x'))).message).toMatch(/permission|timeout/i);
    const rollup = headers();
    rollup.set('Nats-Rollup', 'all');
    expect((await denied(js.publish(`$O.${SNAPSHOT_BUCKET}.M.eA`, '{}', { headers: rollup }))).message).toMatch(/rollup/i);
    expect((await new Objm(hub).open(SNAPSHOT_BUCKET).then((os) => os.status())).size).toBeGreaterThan(0);
    const errors: string[] = [];
    const watch = (async () => { for await (const s of edge.status()) if (s.type === 'error') { errors.push(s.error.message); return; } })();
    edge.publish(healthSubject('s2', 'e2'), '{}');
    await watch;
    expect(errors[0]).toMatch(/permission/i);
    // the stream still exists and still holds only s1 alarms
    const ids = await readAlarmIds(hub);
    const hjs = jetstream(hub);
    const m = await (await hjs.consumers.get(ALARM_STREAM)).next();
    expect(decodeAlarm(m!.data).site).toBe('s1');
    expect(ids.length).toBeGreaterThan(0);
  });
});
