import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { stringify as toYaml } from 'yaml';
import { decodeAlarm, type Alarm } from '../../common/alarm.ts';
import { loadEdgeConfig } from '../../common/config/edge.ts';
import { silentLogger } from '../../common/log.ts';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { freePort } from '../../common/proc/free-port.ts';
import { Outbox } from '../../edge/sink/outbox.ts';
import { ALARM_STREAM } from '../../common/subjects.ts';
import { ensureAlarmStream, ensureSnapshotBucket, snapshotBucketFor } from '../../common/transport/alarm-stream.ts';
import { startEdgeNode } from '../../edge/edge-node.ts';
import { parseHealth } from '../../edge/sink/heartbeat.ts';
import { startSimCamera } from '../../fixtures/sim-camera/sim-camera.ts';

/**
 * The edge node as `vigil edge` runs it: a simulated ONVIF camera found by
 * WS-Discovery, its RTSP stream through the detector and analytics, its
 * PullPoint events, a webhook sensor, heartbeats and metrics, all into a real
 * JetStream stream through the outbox.
 */
const VTEST = path.resolve(import.meta.dirname, '../../fixtures/.cache/vtest.avi');

async function streamAlarms(nc: NatsConnection): Promise<Alarm[]> {

  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(ALARM_STREAM);
  const out: Alarm[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(ALARM_STREAM, { seq }).catch(() => null);
    if (m) out.push(decodeAlarm(m.data));
  }
  return out;
}

describe('edge node', () => {
  it('discovers its ONVIF camera and delivers video, event and sensor alarms with heartbeats', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-edge-node-'));
    const nats = await NatsServer.start();
    const camera = await startSimCamera({ video: VTEST, loop: true, user: 'admin', password: 'cam-secret', events: [{ atMs: 3_000, topic: 'input', input: 'DIN1', state: true }] });
    const nc = await connect({ servers: nats.url });
    await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 120_000 });
    await ensureSnapshotBucket(nc, { bucket: snapshotBucketFor('test') });
    process.env.VIGIL_TEST_CAM_PW = 'cam-secret';
    process.env.VIGIL_TEST_SENSOR_TOKEN = 'sensor-token-1';
    const siteFile = path.join(dir, 'site.yaml');
    writeFileSync(siteFile, toYaml({
      site: { id: 'test', name: 'Test' },
      cameras: [{
        id: 'cam1', source: { onvif: { host: camera.host, port: camera.port, user: 'admin', password: { env: 'VIGIL_TEST_CAM_PW' } } },
        detect: { fps: 2 },
        // A low threshold so that vtest's pedestrians raise a crowd alarm at once.
        zones: [{ id: 'all', polygon: [[0, 0], [768, 0], [768, 576], [0, 576]], areaM2: 100, crowd: { warningDensity: 0.01, criticalDensity: 1, minDurationS: 0, smoothingS: 0 } }],
      }],
      sensors: [{ id: 'panic1', type: 'panic', via: 'webhook', token: { env: 'VIGIL_TEST_SENSOR_TOKEN' }, severity: 'critical' }],
    }));
    const edgeFile = path.join(dir, 'edge.yaml');
    writeFileSync(edgeFile, toYaml({
      edge: { id: 'edge1', site: siteFile, workers: 1, http: { port: 0 }, outbox: { path: path.join(dir, 'outbox.db') }, heartbeatMs: 1000, discovery: { enabled: true, addresses: [`${camera.host}:${camera.discoveryPort}`], timeoutMs: 2000 } },
      nats: { servers: [nats.url] },
    }));
    const beats: ReturnType<typeof parseHealth>[] = [];
    nc.subscribe('vigil.health.test.edge1', { callback: (_e, m) => { beats.push(parseHealth(m.data)); } });
    const edge = await startEdgeNode(loadEdgeConfig(edgeFile), silentLogger);
    try {
      const base = `http://127.0.0.1:${edge.httpPort}`;
      const refused = await fetch(`${base}/sensors/panic1/readings`, { method: 'POST', headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' }, body: '{"state":"active"}' });
      expect(refused.status).toBe(401);
      const ok = await fetch(`${base}/sensors/panic1/readings`, { method: 'POST', headers: { authorization: 'Bearer sensor-token-1', 'content-type': 'application/json' }, body: '{"state":"active"}' });
      expect(ok.status).toBe(202);

      const deadline = Date.now() + 120_000;
      let alarms: Alarm[] = [];
      const kinds = () => new Set(alarms.map((a) => a.kind));
      while (Date.now() < deadline) {
        alarms = await streamAlarms(nc);
        if (kinds().has('crowd.density') && kinds().has('sensor.input') && kinds().has('sensor.panic') && beats.some((b) => (b.zones ?? []).length > 0)) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect([...kinds()]).toEqual(expect.arrayContaining(['crowd.density', 'sensor.input', 'sensor.panic']));
      const crowd = alarms.find((a) => a.kind === 'crowd.density')!;
      expect(crowd).toMatchObject({ site: 'test', camera: 'cam1', zone: 'all', edge: 'edge1', state: 'raised' });
      expect(crowd.snapshot?.bucket).toBe('vigil-snapshots-test'); // one bucket per site
      expect(alarms.find((a) => a.kind === 'sensor.panic')).toMatchObject({ camera: 'panic1', severity: 'critical' });

      const beat = beats.at(-1)!;
      expect(beat.cameras[0]).toMatchObject({ id: 'cam1', state: 'ok' });
      expect(beat.zones?.[0]).toMatchObject({ camera: 'cam1', zone: 'all' });

      const health = await (await fetch(`${base}/health`)).json() as { discovery: { configured: string[] } };
      expect(health.discovery.configured).toEqual(['cam1']);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/vigil_edge_frames_detected_total\{camera="cam1"\} [1-9]/);
      expect(metrics).toContain('vigil_edge_nats_up 1');
    } finally {
      await edge.stop();
      await nc.close();
      await camera.stop();
      await nats.dispose();
    }
  }, 240_000);

  it('stops promptly when NATS never answered, keeping accepted alarms in the outbox', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-edge-node-'));
    const siteFile = path.join(dir, 'site.yaml');
    writeFileSync(siteFile, toYaml({
      site: { id: 'test', name: 'Test' },
      sensors: [{ id: 'panic1', type: 'panic', via: 'webhook', token: 'sensor-token-2', severity: 'critical' }],
    }));
    const edgeFile = path.join(dir, 'edge.yaml');
    const outboxFile = path.join(dir, 'outbox.db');
    // nothing listens there: the first connection keeps retrying until stop()
    writeFileSync(edgeFile, toYaml({ edge: { id: 'edge1', site: siteFile, http: { port: 0 }, outbox: { path: outboxFile } }, nats: { servers: [`nats://127.0.0.1:${await freePort()}`] } }));
    const edge = await startEdgeNode(loadEdgeConfig(edgeFile), silentLogger);
    const ok = await fetch(`http://127.0.0.1:${edge.httpPort}/sensors/panic1/readings`, { method: 'POST', headers: { authorization: 'Bearer sensor-token-2', 'content-type': 'application/json' }, body: '{"state":"active"}' });
    expect(ok.status).toBe(202);
    const t0 = Date.now();
    await edge.stop();
    // not the 3 s drain grace: with no connection there is nothing to wait for
    expect(Date.now() - t0).toBeLessThan(2_500);
    // a late rejection from the sink's drain would surface here as an unhandled rejection
    await new Promise((r) => setTimeout(r, 200));
    // the outbox was closed (its exclusive lock released) and still holds the alarm for the next start
    const reopened = new Outbox({ file: outboxFile });
    try {
      expect(reopened.depth).toBe(1);
    } finally {
      reopened.close();
    }
  }, 60_000);
});
