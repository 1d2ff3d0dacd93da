import { describe, expect, it } from 'vitest';
import { canMountTmpfs } from '../../common/proc/tmpfs.ts';
import { edgeDiskFullEpisode, hubDiskFullEpisode } from '../../bench/scenarios/disk-full.ts';

// Each side on a tmpfs of its own, filled to the last block while alarms arrive, then freed.
// Mounting needs root, which CI and the development machines have.
const mountable = canMountTmpfs();
if (!mountable) console.warn('disk-full tests skipped: cannot mount a tmpfs here (needs root)');

describe.skipIf(!mountable)('a full disk is a pause, not a loss', () => {
  it('edge: every alarm accepted, held, and in the stream exactly once after the disk is freed', async () => {
    const r = await edgeDiskFullEpisode({ perSeverity: 30 });
    expect(r.during.refused).toBe(0);
    // The episode really reached a full disk: the reserve was used and alarms waited in memory.
    expect(r.during.diskStates).toEqual(expect.arrayContaining(['reserve', 'full']));
    expect(r.during.peakHeld as number).toBeGreaterThan(0);
    expect(r.during.snapshotsDropped as number).toBeGreaterThan(0);
    expect(r.during.warning).toMatch(/disk full/);
    expect({ sent: r.sent, stored: r.stored, lost: r.lost, doubled: r.doubled }).toEqual({ sent: 90, stored: 90, lost: 0, doubled: 0 });
  }, 120_000);

  for (const dialect of ['sqlite', 'postgres'] as const) it(`hub (${dialect}): ingest pauses without spending deliveries and stores every alarm once when space is back`, async () => {
    // PostgreSQL: the tables in a tablespace on the tmpfs; a full disk there is SQLSTATE 53100.
    const r = await hubDiskFullEpisode({ dialect, alarms: 60, fullForMs: 5_000 });
    expect(r.during.storeDown).toBe(true);
    expect(r.during.storedWhileFull as number).toBeLessThan(60);
    expect(r.during.deadLetters).toBe(0);
    expect(r.during.maxDeliveriesReached).toBe(0);
    // Only the messages in hand when the disk filled were delivered again, once.
    expect(r.during.maxDeliveryCount as number).toBeLessThanOrEqual(3);
    expect({ sent: r.sent, stored: r.stored, lost: r.lost, doubled: r.doubled }).toEqual({ sent: 60, stored: 60, lost: 0, doubled: 0 });
  }, 120_000);
});
