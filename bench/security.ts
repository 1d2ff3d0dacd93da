import type { BenchContext } from '../cli/bench.ts';
import { loginFlood } from './scenarios/login-flood.ts';

/**
 * security.loginFlood: of 120 parallel wrong passwords for one name, how many
 * reached scrypt (goal ≤ 5); the p95 of an authenticated GET /api/me during a
 * flood of 400 logins from 400 addresses, against the same request on the
 * idle hub in this process (goal < 200 ms). Real HTTP, scrypt N=2^17, SQLite.
 */
export async function bench(ctx: BenchContext): Promise<Record<string, unknown>> {
  const r = await loginFlood({ guesses: 120, flood: ctx.quick ? 100 : 400, log: ctx.log });
  ctx.log(`security.loginFlood: ${r.guesses.checked} of ${r.guesses.sent} guesses checked; /api/me p95 ${r.me.duringFloodP95Ms} ms during the flood (${r.me.baselineP95Ms} ms idle)`);
  return { security: { loginFlood: r } };
}
