import { createHash } from 'node:crypto';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';

/**
 * Writes one object into a JetStream Object Store bucket using only publishes
 * (the Object Store wire format, NATS ADR-20: chunks on `$O.<bucket>.C.<nuid>`,
 * then the metadata on `$O.<bucket>.M.<base64url(name)>`). nats.js's `put` first reads the object's current metadata and may
 * purge, which would oblige every edge to hold read and purge rights on the
 * whole bucket, every site's snapshots included. Names here are unique per
 * alarm, so there is never an old object to read or replace; chunks left by an
 * interrupted attempt are unreferenced and expire with the bucket's TTL.
 * Readers (the hub) use the ordinary nats.js Object Store API.
 */
export async function putSnapshotObject(
  js: JetStreamClient,
  nc: NatsConnection,
  bucket: string,
  name: string,
  data: Uint8Array,
  options: { timeoutMs: number; maxChunkBytes?: number },
): Promise<void> {
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  const chunkSize = Math.max(1024, Math.min(options.maxChunkBytes ?? 128 * 1024, maxPayload - 1024));
  const id = nuid.next();
  const chunkSubject = `$O.${bucket}.C.${id}`;
  let chunks = 0;
  for (let off = 0; off < data.byteLength; off += chunkSize) {
    await js.publish(chunkSubject, data.subarray(off, Math.min(data.byteLength, off + chunkSize)), { timeout: options.timeoutMs });
    chunks++;
  }
  const digest = createHash('sha256').update(data).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
  const info = {
    name,
    description: '',
    options: { max_chunk_size: chunkSize },
    bucket,
    nuid: id,
    size: data.byteLength,
    chunks,
    mtime: new Date().toISOString(),
    digest: `SHA-256=${digest}`,
    deleted: false,
  };
  // No Nats-Rollup header: the name is unique per alarm, so this metadata
  // subject holds one message, and the bucket's stream refuses rollups (a
  // rollup from an edge could wipe the bucket).
  const metaSubject = `$O.${bucket}.M.${Buffer.from(name).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
  await js.publish(metaSubject, JSON.stringify(info), { timeout: options.timeoutMs });
}
