import { describe, expect, it } from 'vitest';
import { fuzzEdgeAndHub } from '../../bench/scenarios/fuzz.ts';

// Random and mutated SOAP, UDP, alarm, heartbeat, sensor, ack and HTTP input against a running
// `vigil edge` and `vigil hub`: neither may exit, and a genuine alarm must still get through.
describe('hostile input cannot crash or stall the edge or the hub', () => {
  it('survives a seeded fuzz run and still carries a genuine alarm end to end', async () => {
    const r = await fuzzEdgeAndHub({ messages: 4_000, seed: Number(process.env.VIGIL_FUZZ_SEED ?? 12) });
    console.log(`fuzz: ${r.messages} messages (${JSON.stringify(r.byTarget)}), ${r.crashes} crashes, seed ${r.seed}`);
    expect(r.exits).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.messages).toBeGreaterThanOrEqual(3_000);
    for (const t of ['soap', 'udp', 'alarm.stream', 'alarm.core', 'heartbeat', 'sensor.nats', 'sensor.webhook', 'unit.ack', 'hub.http']) expect(r.byTarget[t], t).toBeGreaterThan(0);
    expect(r.after).toEqual({ hubHealth: 200, edgeHealth: 200, genuineAlarmStored: true, edgeUp: true, hubUp: true });
  }, 240_000);
});
