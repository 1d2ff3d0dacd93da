import type { BenchContext } from '../cli/bench.ts';
import { canMountTmpfs } from '../common/proc/tmpfs.ts';
import { edgeDiskFullEpisode, hubDiskFullEpisode } from './scenarios/disk-full.ts';

/**
 * reliability.diskFull: alarms sent, stored, lost and doubled through a
 * disk-full episode on each side (a tmpfs of its own, filled, then freed);
 * goal 0 lost, 0 doubled. Mounting needs root.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  if (!canMountTmpfs()) return { reliability: { diskFull: { skipped: 'needs root to mount a tmpfs' } } };
  const edge = await edgeDiskFullEpisode({ perSeverity: ctx.quick ? 20 : 100, log: ctx.log });
  const hub = await hubDiskFullEpisode({ alarms: ctx.quick ? 60 : 300, log: ctx.log });
  const hubPostgres = await hubDiskFullEpisode({ dialect: 'postgres', alarms: ctx.quick ? 60 : 300, log: ctx.log })
    .catch((err: unknown) => ({ skipped: `PostgreSQL tablespace on a tmpfs not possible here: ${(err as Error).message}` }));
  ctx.log(`reliability.diskFull: edge ${edge.lost} lost / ${edge.doubled} doubled of ${edge.sent}; hub ${hub.lost} lost / ${hub.doubled} doubled of ${hub.sent}`);
  return { reliability: { diskFull: { edge, hub, hubPostgres } } };
}
