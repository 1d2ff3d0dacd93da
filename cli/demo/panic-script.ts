import { errorMessage } from '../../common/errors.ts';

/**
 * The demo's ticket-hall panic button, pressed on a script through the
 * edge's sensor webhook, as the real button's I/O module would: a critical
 * alarm, so the default alarm policy opens an incident, activates the plan
 * (level III) and dispatches the nearest ready units within the demo's run.
 */
export interface PanicScript {
  stop(): void;
}

export function startPanicScript(opts: { edgeUrl: string; sensor: string; token: string; firstAtMs?: number; holdMs?: number; everyMs?: number; say: (m: string) => void }): PanicScript {
  const { firstAtMs = 25_000, holdMs = 20_000, everyMs = 10 * 60_000 } = opts;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  /** Sends a reading, again every 5 s until the edge takes it (it may still be loading its model, or restarting). */
  const post = async (state: 'active' | 'inactive'): Promise<void> => {
    for (let attempt = 1; !stopped && attempt <= 24; attempt++) {
      try {
        const res = await fetch(`${opts.edgeUrl}/sensors/${encodeURIComponent(opts.sensor)}/readings`, {
          method: 'POST', headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ state }),
        });
        await res.body?.cancel();
        if (res.ok) return;
        opts.say(`panic button ${state}: the edge answered ${res.status}`);
      } catch (err) {
        if (attempt === 1) opts.say(`panic button ${state}: ${errorMessage(err)}; trying again`);
      }
      await new Promise((r) => { const t = setTimeout(() => { timers.delete(t); r(null); }, 5_000); timers.add(t); });
    }
  };
  const at = (ms: number, fn: () => void) => { const t = setTimeout(() => { timers.delete(t); if (!stopped) fn(); }, ms); timers.add(t); };
  const press = () => {
    opts.say('the ticket-hall panic button is pressed (demo script)');
    void post('active').then(() => at(holdMs, () => void post('inactive')));
    at(everyMs, press);
  };
  at(firstAtMs, press);
  return { stop() { stopped = true; for (const t of timers) clearTimeout(t); timers.clear(); } };
}
