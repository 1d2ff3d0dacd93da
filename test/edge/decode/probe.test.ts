import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../../common/errors.ts';
import { probeMedia } from '../../../edge/decode/probe.ts';
import { brokenFiles, VTEST } from './media-fixtures.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'vigil-probe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('probeMedia', () => {
  it('reads vtest.avi', async () => {
    expect(await probeMedia(VTEST)).toEqual({ width: 768, height: 576, fps: 10, durationS: 79.5, codec: 'msmpeg4v3' });
  });

  it('missing, corrupt and unknown-codec files are MediaErrors naming the file', async () => {
    const { garbage, unknown, missing } = brokenFiles(tmp);
    for (const [file, code] of [[missing, 'MEDIA_NOT_FOUND'], [garbage, 'MEDIA_CORRUPT'], [unknown, 'MEDIA_CODEC']] as const) {
      const err = await probeMedia(file).catch((e: unknown) => e);
      expect(err, file).toBeInstanceOf(MediaError);
      expect((err as MediaError).code).toBe(code);
      expect((err as Error).message).toContain(file);
    }
  });
});
