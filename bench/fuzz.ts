import type { BenchContext } from '../cli/bench.ts';
import { fuzzEdgeAndHub } from './scenarios/fuzz.ts';

/** security.fuzz: hostile messages sent to a running edge and hub (SOAP, UDP, alarms, heartbeats, sensors, acks, HTTP), and how many times either crashed (goal 0). */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const r = await fuzzEdgeAndHub({ messages: ctx.quick ? 2_000 : 10_000, seed: 12, log: ctx.log });
  ctx.log(`security.fuzz: ${r.messages} messages, ${r.crashes} crashes`);
  return { security: { fuzz: { messages: r.messages, crashes: r.crashes, byTarget: r.byTarget, after: r.after, seed: r.seed, ...(r.exits.length ? { exits: r.exits } : {}) } } };
}
