import { describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { useNatsServer } from '../../support/nats.ts';
import { ensureAlarmStream, ensureSnapshotBucket, duplicateWindowMs, ALARM_HOLD_MS, SNAPSHOT_BUCKET } from '../../../common/transport/alarm-stream.ts';
import { ALARM_STREAM } from '../../../common/subjects.ts';
import { MAX_ALARM_BYTES } from '../../../common/alarm.ts';

describe('ensureAlarmStream', () => {
  const nats = useNatsServer();

  it('creates the stream with file storage, limits and the hold time as duplicate window', async () => {
    const jsm = await jetstreamManager(nats.nc);
    const info = await ensureAlarmStream(jsm);
    expect(info.config.name).toBe(ALARM_STREAM);
    expect(info.config.subjects).toEqual(['vigil.alarm.>']);
    expect(info.config.storage).toBe('file');
    expect(info.config.max_msg_size).toBe(MAX_ALARM_BYTES);
    expect(duplicateWindowMs(info)).toBe(ALARM_HOLD_MS);
  });

  it('is idempotent and updates limits in place', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await ensureAlarmStream(jsm);
    const again = await ensureAlarmStream(jsm);
    expect(duplicateWindowMs(again)).toBe(ALARM_HOLD_MS);
    const changed = await ensureAlarmStream(jsm, { duplicateWindowMs: 60 * 60_000, maxBytes: 64 * 1024 ** 2 });
    expect(duplicateWindowMs(changed)).toBe(60 * 60_000);
    expect(changed.config.max_bytes).toBe(64 * 1024 ** 2);
    const names: string[] = [];
    for await (const n of jsm.streams.names()) names.push(n);
    expect(names.filter((n) => n === ALARM_STREAM)).toHaveLength(1);
  });

  it('refuses a duplicate window longer than the retention', async () => {
    const jsm = await jetstreamManager(nats.nc);
    await expect(ensureAlarmStream(jsm, { duplicateWindowMs: 10_000, maxAgeMs: 5_000 })).rejects.toThrow(/maxAgeMs/);
  });

  it('creates the snapshot bucket idempotently', async () => {
    const a = await ensureSnapshotBucket(nats.nc);
    const b = await ensureSnapshotBucket(nats.nc);
    expect((await a.status()).bucket).toBe(SNAPSHOT_BUCKET);
    expect((await b.status()).bucket).toBe(SNAPSHOT_BUCKET);
  });
});
