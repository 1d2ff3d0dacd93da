import { describe, expect, it } from 'vitest';
import { createHubEvents } from '../../hub/events.ts';

const alarm = (id: string) => ({ id, site: 's', camera: 'c', zone: null, kind: 'camera.offline', state: 'raised', severity: 'warning', capturedAtMs: 0, incidentId: null, outcome: 'incident', suppressed: null });

describe('hub event bus', () => {
  it('delivers to typed and wildcard listeners with increasing seq, and survives a failing listener', () => {
    const errors: string[] = [];
    const ev = createHubEvents({ now: () => 42, onListenerError: (_e, t) => errors.push(t) });
    const got: string[] = [];
    ev.on('alarm.ingested', () => { throw new Error('boom'); });
    const off = ev.on('alarm.ingested', (e) => got.push(`typed:${e.data.id}:${e.seq}`));
    ev.on('*', (e) => got.push(`any:${e.type}`));
    const e1 = ev.emit('alarm.ingested', alarm('a1'), { site: 's' });
    expect(e1).toMatchObject({ at: 42, seq: 1, site: 's' });
    off();
    ev.emit('alarm.ingested', alarm('a2'));
    expect(got).toEqual(['typed:a1:1', 'any:alarm.ingested', 'any:alarm.ingested']);
    expect(errors).toEqual(['alarm.ingested', 'alarm.ingested']);
  });

  it('iterates with a filter, drops the oldest past the queue limit, and ends on abort', async () => {
    const ev = createHubEvents();
    const ctl = new AbortController();
    const sub = ev.subscribe({ filter: (e) => e.type === 'alarm.ingested', maxQueue: 2, signal: ctl.signal });
    for (const id of ['a1', 'a2', 'a3']) ev.emit('alarm.ingested', alarm(id));
    expect(sub.dropped()).toBe(1);
    const first = await sub.next();
    expect((first.value as { data: { id: string } }).data.id).toBe('a2');
    const pending = sub.next();
    ev.emit('alarm.ingested', alarm('a4'));
    expect(((await pending).value as { data: { id: string } }).data.id).toBe('a3');
    ctl.abort();
    const rest: unknown[] = [];
    for await (const e of sub) rest.push(e);
    expect(rest.length).toBeLessThanOrEqual(1);
    expect((await sub.next()).done).toBe(true);
  });
});
