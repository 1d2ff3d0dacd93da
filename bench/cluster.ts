import type { BenchContext } from '../cli/bench.ts';
import { runClusterScenario } from './scenarios/cluster.ts';

/**
 * `cluster`: the loopback cluster of bench/scenarios/cluster.ts under load,
 * with one NATS node and one hub killed mid-way. hub.ingestPerSec compares
 * two hub replicas with one, draining the same backlog in the same run. The
 * node killed is the one leading the hubs' consumer: the worst case, every run.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const r = await runClusterScenario({ alarmsPerEdge: ctx.quick ? 60 : 150, backlog: ctx.quick ? 200 : 500, log: ctx.log, explain: true });
  return {
    cluster: {
      sent: r.sent, stored: r.stored, lost: r.lost, duplicates: r.duplicates, inTwoIncidents: r.inTwoIncidents,
      sseCoverage: r.sseCoverage, timersDue: r.timersDue, timersFiredOnce: r.timersFiredOnce,
      failoverSeconds: r.failoverSeconds, baselineLatencySeconds: r.baselineLatencySeconds, isolation: r.isolation, natsRestartAttempts: r.natsRestartAttempts,
    },
    hub: { ingestPerSec: { twoReplicas: r.ingestPerSec.twoReplicas, oneReplica: r.ingestPerSec.oneReplica, twoOverOne: r.ingestPerSec.ratio } },
  };
}
