import sharp from 'sharp';
import type { NatsConnection } from '@nats-io/nats-core';
import { newAlarmId, parseAlarm, type Alarm } from '../../../common/alarm.ts';
import { SNAPSHOT_BUCKET, snapshotObjectName } from '../../../common/transport/alarm-stream.ts';
import { putSnapshotObject } from '../../../edge/sink/snapshot-upload.ts';
import { jetstream } from '@nats-io/jetstream';

/** A small evidence JPEG (a grey frame with a red box), stored as an edge would store it. */
export async function putSnapshot(nc: NatsConnection, site: string, camera: string, id: string): Promise<{ bucket: string; name: string; width: number; height: number; blurred: boolean }> {
  const width = 320; const height = 180;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#6b7b88"/><rect x="120" y="60" width="70" height="60" fill="none" stroke="#e53935" stroke-width="4"/><text x="10" y="170" font-size="14" fill="#fff">${camera}</text></svg>`;
  const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer();
  const name = snapshotObjectName(site, camera, id);
  // as an edge writes it: the bucket refuses the rollup nats.js's put() sends
  await putSnapshotObject(jetstream(nc), nc, SNAPSHOT_BUCKET, name, new Uint8Array(jpeg), { timeoutMs: 5_000 });
  return { bucket: SNAPSHOT_BUCKET, name, width, height, blurred: false };
}

export function crowdAlarm(over: Partial<Alarm> = {}): Alarm {
  const id = over.id ?? newAlarmId();
  return parseAlarm({
    v: 1, id, kind: 'crowd.density', state: 'raised', severity: 'critical', site: 'demo', camera: 'plaza-east', zone: 'crossing',
    episode: `ep-${id}`, capturedAt: new Date().toISOString(), mediaTime: null, edge: 'edge-test',
    message: 'density 0.06 /m² above critical 0.05',
    crowd: { count: 11, density: 0.061, los: 'A', method: 'detections', confidence: 0.8, trendPerMin: 0.01, etaNextThresholdS: null, level: 'critical', threshold: 0.05, areaM2: 180 },
    ...over,
  });
}

export function abandonedAlarm(over: Partial<Alarm> = {}): Alarm {
  const id = over.id ?? newAlarmId();
  return parseAlarm({
    v: 1, id, kind: 'object.abandoned', state: 'raised', severity: 'warning', site: 'demo', camera: 'plaza-east', zone: 'crossing',
    episode: `ep-${id}`, capturedAt: new Date().toISOString(), mediaTime: null, edge: 'edge-test',
    message: 'backpack unattended for 32 s',
    object: { bbox: [120, 60, 190, 120], class: 'backpack', dwellSeconds: 32, confidence: 0.7, objectId: 'obj-1' },
    ...over,
  });
}
