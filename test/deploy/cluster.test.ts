import { describe, expect, it } from 'vitest';
import { runClusterScenario } from '../../bench/scenarios/cluster.ts';

/**
 * Issue 14, part 7: real processes on loopback (3 clustered JetStream nodes, a
 * leaf per site in its own account plus a rogue leaf with site B's login, 2 hubs
 * on PostgreSQL, an edge per site through the real sink and outbox), with the
 * NATS node leading the hubs' consumer and one hub killed with SIGKILL mid-load
 * and brought back.
 */
describe('the cluster under failure', () => {
  it('stores every alarm once, in one incident, shown on the surviving dashboard; timers fire once; sites stay apart', async () => {
    const r = await runClusterScenario({ alarmsPerEdge: 60, backlog: 150 });
    expect(r.sent).toBe(120);
    expect(r.lost).toBe(0);
    expect(r.stored).toBe(r.sent);
    expect(r.duplicates).toBe(0);
    expect(r.inTwoIncidents).toBe(0);
    expect(r.sseCoverage).toBe(1);
    // criticals at both sites: units ordered, none acknowledges, each deadline fires once and the next unit goes
    expect(r.timersDue).toBeGreaterThanOrEqual(2);
    expect(r.timersFiredOnce).toBe(1);
    // the killed node comes back on its own store at the first try
    expect(r.natsRestartAttempts).toBe(1);
    // site B's login cannot publish as site A nor hear site A's dispatches, yet hears its own
    expect(r.isolation.spoofStored).toBe(0);
    expect(r.isolation.foreignDispatchesRead).toBe(0);
    expect(r.isolation.ownDispatchesRead).toBeGreaterThan(0);
    // every link is TLS with verified certificates: a right login without a client certificate is refused
    expect(r.isolation.clientWithoutCertRefused).toBe(true);
  }, 180_000);
});
