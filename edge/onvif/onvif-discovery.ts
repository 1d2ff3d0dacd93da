import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { silentLogger, type Logger } from '../../common/log.ts';
import { OnvifError } from './onvif-error.ts';

export const WSD_MULTICAST = '239.255.255.250';
export const WSD_PORT = 3702;

export interface DiscoverOptions {
  /** @default 3000 millis */
  timeoutMs?: number;
  /**
   * Probe these addresses by unicast ("host" or "host:port", port 3702 by
   * default), for networks where multicast does not route.
   */
  addresses?: readonly string[];
  /** also probe 239.255.255.250:3702. @default true when no addresses are given */
  multicast?: boolean;
  /** local interface address for multicast, e.g. 127.0.0.1 */
  interface?: string;
  logger?: Logger;
}

export interface DiscoveredCamera {
  /** WS-Addressing endpoint reference, e.g. urn:uuid:… */
  endpoint: string;
  xaddrs: string[];
  /** the first device-service XAddr split up for connectOnvif */
  host: string;
  port: number;
  path: string;
  scopes: string[];
  /** from the onvif://www.onvif.org/name/… scope, when present */
  name: string | null;
  /** who answered */
  from: string;
}

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, processEntities: false });
const NAME_SCOPE = 'onvif://www.onvif.org/name/';
/** A ProbeMatches reply is a few kilobytes; a datagram can be 64. */
const MAX_REPLY_BYTES = 32 * 1024;
const MAX_MATCHES = 16;
/** what one probe can report: a forged flood must not grow without bound */
const MAX_DEVICES = 1024;

/** A camera's name scope is percent-encoded; a broken escape is shown as sent, never thrown. */
function scopeName(raw: string): string {
  try { return decodeURIComponent(raw).slice(0, 128); } catch { return raw.slice(0, 128); }
}
const str = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String((v as Record<string, unknown>)['#text']) : '');

function probe(messageId: string): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>');
}

function splitAddress(a: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(a.trim());
  if (!m) throw new OnvifError(a, 'discovery', 'not a host or host:port address', { code: 'ONVIF' });
  return { host: m[1]!, port: m[2] ? Number(m[2]) : WSD_PORT };
}

/**
 * WS-Discovery: sends a Probe for NetworkVideoTransmitter by multicast and/or
 * to each given address, and collects ProbeMatches until the timeout. Written
 * on dgram rather than the `onvif` package's Discovery, which can only
 * multicast to the fixed group and is a process-wide singleton.
 */
export async function discoverCameras(options: DiscoverOptions = {}): Promise<DiscoveredCamera[]> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const logger = options.logger ?? silentLogger;
  const targets = (options.addresses ?? []).map(splitAddress);
  const multicast = options.multicast ?? targets.length === 0;
  const messageId = `urn:uuid:${randomUUID()}`;
  const found = new Map<string, DiscoveredCamera>();
  const sock = dgram.createSocket({ type: 'udp4' });

  let ignored = 0;
  const ignore = (why: string, rinfo: dgram.RemoteInfo, error?: unknown) => {
    // Anyone on the network can send datagrams here: note them, quietly and not one log line each.
    if (ignored++ < 20) logger.debug(`discovery: ignoring ${why}`, { from: rinfo.address, ...(error ? { error } : {}) });
  };
  sock.on('message', (msg, rinfo) => {
    // An unauthenticated socket: nothing in a datagram may throw out of this handler.
    try {
      acceptReply(msg, rinfo);
    } catch (err) {
      ignore('a reply that could not be read', rinfo, err);
    }
  });

  function acceptReply(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length > MAX_REPLY_BYTES) return ignore('an oversized datagram', rinfo);
    let doc: any;
    try { doc = parser.parse(msg.toString('utf8')); } catch (err) {
      return ignore('a malformed reply', rinfo, err);
    }
    // Only an answer to this probe counts: a reply without RelatesTo, or relating to
    // another message, is unsolicited (or forged) and says nothing about this network.
    if (str(doc?.Envelope?.Header?.RelatesTo).trim() !== messageId) return ignore('a reply that does not answer this probe', rinfo);
    const matches = doc?.Envelope?.Body?.ProbeMatches?.ProbeMatch;
    for (const m of (Array.isArray(matches) ? matches : matches ? [matches] : []).slice(0, MAX_MATCHES)) {
      if (found.size >= MAX_DEVICES) return ignore('replies beyond the device limit', rinfo);
      const endpoint = str(m?.EndpointReference?.Address).slice(0, 512);
      const xaddrs = str(m?.XAddrs).split(/\s+/).filter(Boolean).slice(0, 8);
      if (!endpoint || xaddrs.length === 0 || found.has(endpoint)) continue;
      let url: URL;
      try { url = new URL(xaddrs.find((x) => x.includes(rinfo.address)) ?? xaddrs[0]!); } catch (err) {
        ignore('an unusable XAddr', rinfo, err);
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') { ignore('a non-HTTP XAddr', rinfo); continue; }
      const scopes = str(m?.Scopes).split(/\s+/).filter(Boolean).slice(0, 64);
      const nameScope = scopes.find((s) => s.startsWith(NAME_SCOPE));
      found.set(endpoint, {
        endpoint, xaddrs, scopes,
        host: url.hostname,
        port: url.port ? Number(url.port) : 80,
        path: url.pathname,
        name: nameScope ? scopeName(nameScope.slice(NAME_SCOPE.length)) : null,
        from: `${rinfo.address}:${rinfo.port}`,
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => { sock.close(); reject(err); });
    sock.bind(0, options.interface, () => { sock.removeAllListeners('error'); resolve(); });
  });
  sock.on('error', (err) => logger.warn('discovery socket error', { error: err }));
  const msg = probe(messageId);
  const send = (port: number, host: string) => new Promise<void>((resolve) => {
    const done = (err: Error | null) => {
      if (err) logger.warn('discovery probe failed', { to: `${host}:${port}`, error: err });
      resolve();
    };
    // a bad port throws here rather than calling back; one bad address must not stop the others
    try { sock.send(msg, port, host, done); } catch (err) { done(err as Error); }
  });
  if (multicast) {
    try {
      if (options.interface) sock.setMulticastInterface(options.interface);
      sock.setMulticastLoopback(true);
      sock.setMulticastTTL(1);
    } catch (err) {
      logger.warn('discovery: multicast setup failed', { error: err });
    }
    await send(WSD_PORT, WSD_MULTICAST);
  }
  for (const t of targets) await send(t.port, t.host);
  await new Promise((r) => setTimeout(r, timeoutMs));
  await new Promise<void>((r) => sock.close(() => r()));
  return [...found.values()];
}
