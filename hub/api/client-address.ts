import type { Context } from 'hono';
import type { HubDeps } from './deps.ts';
import { loginPolicy } from './sessions.ts';

/**
 * The address a request came from, for login limits. The socket's peer,
 * unless that peer is a configured proxy (hub.yaml auth.trustedProxies): then
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy.
 * A header from anyone else is ignored: it is the client's to forge.
 */
export function clientAddress(c: Context, deps: HubDeps): string | null {
  const peer = deps.clientAddress ? deps.clientAddress(c) : nodePeer(c);
  if (!peer) return null;
  const trusted = new Set(loginPolicy(deps).trustedProxies);
  if (!trusted.has(peer)) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i]!)) return hops[i]!.slice(0, 64);
  return peer;
}

/** @hono/node-server hands the Node request over as `env.incoming`. */
function nodePeer(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}
