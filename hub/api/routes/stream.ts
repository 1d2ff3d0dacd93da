import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { z } from 'zod';
import type { HubDeps } from '../deps.ts';
import { eventVisibleTo } from '../stream-filter.ts';
import { userOfSession } from '../sessions.ts';

/** Heartbeats keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

export function registerStreamRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  route(app, {
    method: 'get', path: '/api/stream', access: { permission: 'stream.read' }, query: z.object({ ticket: z.string().min(1) }),
    summary: 'Server-sent events: alarm.ingested, incident.created, incident.updated and hub-ops events, filtered by role and site. Opened with ?ticket= (POST /api/stream/ticket); each event\'s data is JSON { at, site?, data }.',
    responses: { 200: { mediaType: 'text/event-stream', description: 'hello, then the events, with a heartbeat every 15 s' } },
  }, (c) => {
    const user = c.get('user');
    return streamSSE(c, async (stream) => {
      const abort = new AbortController();
      // The user as configured now: a change of role or sites applies to the open stream too.
      let current = user;
      const sub = deps.events.subscribe({ filter: (e) => eventVisibleTo(e, current), signal: abort.signal, maxQueue: 2000 });
      // Each heartbeat also checks the login: a logout, a deleted user or an ended session closes the stream.
      const beat = deps.clock.setInterval(() => {
        void (user.sid ? userOfSession(deps, user.sid) : Promise.resolve(user)).then(
          (u) => { current = u; return stream.writeSSE({ event: 'heartbeat', data: String(deps.clock.now()) }); },
          () => { deps.logger.info('SSE stream closed: the session ended', { user: user.name }); abort.abort(); },
        );
      }, HEARTBEAT_MS);
      stream.onAbort(() => abort.abort());
      try {
        await stream.writeSSE({ event: 'hello', data: JSON.stringify({ user: user.name, role: user.role }) });
        for await (const e of sub) {
          await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify({ at: e.at, ...(e.site ? { site: e.site } : {}), data: e.data }) });
        }
      } finally {
        beat.cancel();
        sub.close();
      }
    }, async (err, stream) => {
      deps.logger.warn('SSE stream failed', { user: user.name, err: err.message });
      await stream.close();
    });
  });
}
