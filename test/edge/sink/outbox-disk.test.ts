import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Severity } from '../../../common/alarm.ts';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../../../common/proc/tmpfs.ts';
import { Outbox, OutboxFullError, type OutboxStatus } from '../../../edge/sink/outbox.ts';

const mountable = canMountTmpfs();
const entry = (id: string, severity: Severity, snapshotBytes = 0) => ({
  id, subject: 'vigil.alarm.s1.cam1.crowd.density', severity, payload: new TextEncoder().encode(JSON.stringify({ id, pad: 'x'.repeat(300) })),
  payloadWithoutSnapshot: new TextEncoder().encode(JSON.stringify({ id })),
  ...(snapshotBytes ? { snapshot: { name: `s1/cam1/${id}.jpg`, jpeg: new Uint8Array(snapshotBytes).fill(7) } } : {}),
});
const until = async (fn: () => boolean) => { for (let i = 0; i < 600 && !fn(); i++) await new Promise((r) => setTimeout(r, 25)); };

describe.skipIf(!mountable)('outbox on a disk that fills up', () => {
  let fs: Tmpfs;
  let o: Outbox | null = null;
  beforeEach(() => { fs = mountTmpfs(2 * 1024 * 1024); });
  afterEach(() => { o?.close(); o = null; fs.unmount(); });

  it('keeps a reserve, gives it up when a commit fails, then holds alarms in memory, criticals first, never dropping one', async () => {
    o = new Outbox({ file: path.join(fs.dir, 'o.db'), minFreeBytes: 64 * 1024, reserveBytes: 256 * 1024, maxHeld: 4, retryHeldMs: 50 });
    const events: OutboxStatus[] = [];
    void (async () => { for await (const e of o!.status()) events.push(e); })();
    expect(o.stats().disk).toMatchObject({ state: 'ok', reserveBytes: 256 * 1024 });
    await o.put(entry('before-1', 'warning', 4096));
    expect(o.snapshotJpeg('before-1')).not.toBeNull();

    fs.fill();
    // The check runs before this very batch: the snapshot is not kept, the alarm is.
    await o.put(entry('low-1', 'warning', 4096));
    expect(o.snapshotJpeg('low-1')).toBeNull();
    expect(['low', 'reserve']).toContain(o.diskState);

    // Keep writing until the reserve is spent and alarms wait in memory.
    const untilFull = async (tag: string) => { for (let n = 0; o!.diskState !== 'full' && n < 5000; n++) await o!.put(entry(`${tag}-${n}`, 'critical')); };
    await untilFull('fill');
    expect(o.diskState).toBe('full');
    expect(o.stats().disk.held).toBe(1);
    await o.put(entry('warn-1', 'warning'));
    await o.put(entry('crit-1', 'critical'));
    fs.free();
    await until(() => o!.stats().disk.held === 0);
    let rows = o.due(0, 10_000).map((r) => r.id);
    // Held criticals are committed before the warning that waited with them.
    expect(rows.indexOf('crit-1')).toBeGreaterThan(0);
    expect(rows.indexOf('crit-1')).toBeLessThan(rows.indexOf('warn-1'));
    await until(() => o!.diskState === 'ok');
    expect(o.stats().disk).toMatchObject({ state: 'ok', reserveBytes: 256 * 1024 });

    // Full again: the memory queue is bounded; an info or warning makes room for a critical, never the reverse.
    fs.fill();
    await untilFull('again');
    await o.put(entry('info-1', 'info'));
    await o.put(entry('warn-2', 'warning'));
    for (let i = 0; i < 6; i++) await o.put(entry(`crit-x${i}`, 'critical'));
    await expect(o.put(entry('info-2', 'info'))).rejects.toBeInstanceOf(OutboxFullError);
    const d = o.stats().disk;
    expect(d).toMatchObject({ state: 'full', heldBySeverity: { info: 0, warning: 0, critical: 7 } });
    expect(d.refused).toBe(3);
    expect(o.stats().diskWarning).toMatch(/disk full: 7 alarms wait in memory/);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.type === 'dropped').map((e) => [(e as { id: string }).id, (e as { reason: string }).reason])).toEqual([['info-1', 'disk-full'], ['warn-2', 'disk-full'], ['info-2', 'disk-full']]);
    expect(events.some((e) => e.type === 'disk' && e.state === 'full')).toBe(true);
    fs.free();
    await until(() => o!.stats().disk.held === 0);
    rows = o.due(0, 10_000).map((r) => r.id);
    for (let i = 0; i < 6; i++) expect(rows).toContain(`crit-x${i}`);
  });
});
