import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_ALARM_BYTES } from '../alarm.ts';
import { TransportError, errorMessage } from '../errors.ts';
import { ALARM_STREAM, ALL_ALARMS } from '../subjects.ts';

/**
 * How long an alarm may wait in an edge's outbox and still be de-duplicated by
 * the stream. It is ONE value: the stream's `duplicate_window` is set from it,
 * and an edge reads the window back from the stream at start and uses it as its
 * outbox hold time, so the two cannot drift. An alarm held longer is still
 * sent (never dropped for age); from then on the hub's unique key on alarm id
 * is what prevents a double.
 */
export const ALARM_HOLD_MS = 24 * 60 * 60 * 1000;

/**
 * The single-bucket name of earlier releases, still the prefix: each site has
 * its own bucket (snapshotBucketFor), so an edge's rights reach its own site's
 * snapshots only.
 */
export const SNAPSHOT_BUCKET = 'vigil-snapshots';
/** A site's snapshot bucket (stream `OBJ_vigil-snapshots-<site>`). */
export const snapshotBucketFor = (site: string): string => `${SNAPSHOT_BUCKET}-${site}`;
/** A snapshot JPEG is well under this; the bucket refuses larger objects. */
export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024;

export interface AlarmStreamOptions {
  /** = the outbox hold time; @default ALARM_HOLD_MS */
  duplicateWindowMs?: number;
  /** @default 30 days */
  maxAgeMs?: number;
  /** @default 1 GiB */
  maxBytes?: number;
  /** @default 1 (3 on a cluster) */
  replicas?: number;
}

export function alarmStreamConfig(opts: AlarmStreamOptions = {}): StreamConfig {
  const duplicateWindowMs = opts.duplicateWindowMs ?? ALARM_HOLD_MS;
  const maxAgeMs = opts.maxAgeMs ?? 30 * 24 * 3600 * 1000;
  if (!(duplicateWindowMs >= 1000)) throw new TransportError('STREAM_CONFIG', `duplicateWindowMs: ${duplicateWindowMs} must be at least 1000 ms`);
  if (!(maxAgeMs >= duplicateWindowMs)) throw new TransportError('STREAM_CONFIG', `maxAgeMs: ${maxAgeMs} must be at least the duplicate window (${duplicateWindowMs} ms)`);
  return {
    name: ALARM_STREAM,
    subjects: [ALL_ALARMS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    max_bytes: opts.maxBytes ?? 1024 ** 3,
    max_msg_size: MAX_ALARM_BYTES,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    max_consumers: -1,
    duplicate_window: nanos(duplicateWindowMs),
    num_replicas: opts.replicas ?? 1,
    allow_direct: true,
  } as StreamConfig;
}

function isNotFound(err: unknown): boolean {
  return (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) || /stream not found/i.test(errorMessage(err));
}

/** Creates the alarm stream, or updates its limits to these; safe to call at every start, from any number of processes. */
export async function ensureAlarmStream(jsm: JetStreamManager, opts: AlarmStreamOptions = {}): Promise<StreamInfo> {
  const cfg = alarmStreamConfig(opts);
  try {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(ALARM_STREAM);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        return await jsm.streams.add(cfg);
      } catch (addErr) {
        // another process created it between our info and add
        if (!/already in use|exists/i.test(errorMessage(addErr))) throw addErr;
        info = await jsm.streams.info(ALARM_STREAM);
      }
    }
    const c = info.config;
    const same = c.duplicate_window === cfg.duplicate_window && c.max_age === cfg.max_age && c.max_bytes === cfg.max_bytes
      && c.max_msg_size === cfg.max_msg_size && c.discard === cfg.discard && c.num_replicas === cfg.num_replicas
      && c.subjects.length === 1 && c.subjects[0] === ALL_ALARMS && c.allow_direct === cfg.allow_direct;
    if (same) return info;
    // storage and retention cannot change in place: update only the limits.
    const { name: _n, storage: _s, retention: _r, ...limits } = cfg;
    return await jsm.streams.update(ALARM_STREAM, limits);
  } catch (err) {
    throw new TransportError('STREAM', `cannot create or update stream ${ALARM_STREAM}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The stream's duplicate window in ms, read back from the server (an edge uses it as its outbox hold time). */
export function duplicateWindowMs(info: StreamInfo): number {
  return Math.floor(info.config.duplicate_window / 1e6);
}

export interface SnapshotBucketOptions {
  /** @default SNAPSHOT_BUCKET (tests and the demo); the hub makes one per site with snapshotBucketFor */
  bucket?: string;
  maxBytes?: number;
  maxAgeMs?: number;
  /** @default 1 (3 on a cluster) */
  replicas?: number;
}

/** The stream behind a snapshot bucket, as nats.js's object store makes it, with rollups, purges and deletes refused. */
export function snapshotStreamConfig(bucket: string, opts: Omit<SnapshotBucketOptions, 'bucket'> = {}): StreamConfig {
  return {
    name: `OBJ_${bucket}`,
    subjects: [`$O.${bucket}.C.>`, `$O.${bucket}.M.>`],
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_age: nanos(opts.maxAgeMs ?? 30 * 24 * 3600 * 1000),
    max_bytes: opts.maxBytes ?? 10 * 1024 ** 3,
    num_replicas: opts.replicas ?? 1,
    allow_direct: true,
    allow_rollup_hdrs: false,
    deny_purge: true,
    deny_delete: true,
    description: 'Vigil alarm snapshots (JPEG), named <site>/<camera>/<alarm id>.jpg',
  } as StreamConfig;
}

/**
 * Creates (or opens) a snapshot bucket. Needs stream-admin rights: the hub or
 * the demo does this, not an edge. The bucket's stream refuses rollups,
 * purges and deletes from anyone: an edge writes each object once under a
 * name unique to its alarm, so nothing legitimate needs them, and a single
 * `Nats-Rollup: all` from a compromised edge could otherwise wipe the bucket.
 * Objects leave only by the bucket's max age.
 *
 * The stream is created with those denials from the start rather than
 * created by nats.js and then updated: nats-server 2.9 replays a clustered
 * node's stream assignments on restart, and replaying the create over a
 * stream already updated to deny deletes fails ("can not cancel deny message
 * deletes") and crashes the node.
 */
export async function ensureSnapshotBucket(nc: NatsConnection, opts: SnapshotBucketOptions = {}): Promise<ObjectStore> {
  const bucket = opts.bucket ?? SNAPSHOT_BUCKET;
  const want = snapshotStreamConfig(bucket, opts);
  try {
    const jsm = await jetstreamManager(nc);
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(want.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        info = await jsm.streams.add(want);
      } catch (addErr) {
        if (!/already in use|exists/i.test(errorMessage(addErr))) throw addErr;
        info = await jsm.streams.info(want.name);
      }
    }
    const c = info.config;
    // A bucket made by an earlier release: tighten it in place.
    if (c.allow_rollup_hdrs || !c.deny_purge || !c.deny_delete || c.num_replicas !== want.num_replicas) {
      await jsm.streams.update(want.name, { ...c, allow_rollup_hdrs: false, deny_purge: true, deny_delete: true, num_replicas: want.num_replicas });
    }
    return await new Objm(nc).open(bucket);
  } catch (err) {
    throw new TransportError('OBJECT_STORE', `cannot create or open bucket ${bucket}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Snapshot retention: the bucket's stream drops objects older than this. Set
 * on every hub start, so a changed hub.yaml retention applies to the bucket
 * that already exists. Returns whether it changed.
 */
export async function setSnapshotMaxAge(nc: NatsConnection, maxAgeMs: number, bucket = SNAPSHOT_BUCKET): Promise<boolean> {
  const name = `OBJ_${bucket}`;
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(name);
    const want = nanos(maxAgeMs);
    if (info.config.max_age === want) return false;
    await jsm.streams.update(name, { ...info.config, max_age: want });
    return true;
  } catch (err) {
    throw new TransportError('OBJECT_STORE', `cannot set the snapshot retention on ${name}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Object name of an alarm's snapshot: unique per alarm, so an upload never replaces (and never needs to purge) another object. */
export function snapshotObjectName(site: string, camera: string, alarmId: string): string {
  return `${site}/${camera}/${alarmId}.jpg`;
}
