import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BBox } from '../../common/geometry.ts';
import { renderSnapshot as renderEvidence } from '../sink/snapshot.ts';
import type { Frame } from '../types.ts';

export interface SnapshotOptions {
  /** boxes drawn as outlines, in frame pixels */
  draw?: readonly BBox[];
  /** boxes blurred (sites that ask for it), in frame pixels */
  blur?: readonly BBox[];
  quality?: number;
}

/**
 * Encodes a raw RGB frame as JPEG with the evidence boxes outlined. The live
 * sink's renderer does the work, so replay snapshots blur persons exactly as
 * stored evidence does.
 */
export async function renderSnapshot(frame: Frame, options: SnapshotOptions = {}): Promise<Buffer> {
  const r = await renderEvidence(frame, options.draw ?? [], options.blur ?? [], {
    blurPersons: Boolean(options.blur?.length),
    ...(options.quality !== undefined ? { quality: options.quality } : {}),
  });
  return r.jpeg;
}

/** Writes the snapshot to `dir/<name>.jpg` and returns the path. */
export async function writeSnapshot(dir: string, name: string, frame: Frame, options: SnapshotOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.jpg`);
  // Written as encoded: decoding and re-encoding the JPEG would cost time and quality.
  await writeFile(file, await renderSnapshot(frame, options));
  return file;
}
