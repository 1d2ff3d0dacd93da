import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverCameras } from '../../../edge/onvif/onvif-discovery.ts';

const reply = (o: { relatesTo?: string; endpoint: string; xaddr: string; name: string }) =>
  '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
  `<s:Header>${o.relatesTo !== undefined ? `<a:RelatesTo>${o.relatesTo}</a:RelatesTo>` : ''}</s:Header>` +
  `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${o.endpoint}</a:Address></a:EndpointReference>` +
  `<d:Scopes>onvif://www.onvif.org/name/${o.name}</d:Scopes><d:XAddrs>${o.xaddr}</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;

/** A "camera" that answers each probe with forged, broken and genuine replies. */
async function hostileResponder(): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const id = /MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? '';
    const send = (text: string | Buffer) => sock.send(typeof text === 'string' ? Buffer.from(text) : text, rinfo.port, rinfo.address);
    // Unsolicited: no RelatesTo at all, and one relating to some other probe.
    send(reply({ endpoint: 'urn:uuid:forged-1', xaddr: 'http://10.6.6.6/onvif/device_service', name: 'Forged' }));
    send(reply({ relatesTo: 'urn:uuid:someone-else', endpoint: 'urn:uuid:forged-2', xaddr: 'http://10.6.6.7/onvif/device_service', name: 'Forged' }));
    // A genuine answer whose name scope is a broken percent escape: this exited the edge.
    send(reply({ relatesTo: id, endpoint: 'urn:uuid:real', xaddr: 'http://127.0.0.1:8899/onvif/device_service', name: '%E0%A4%A' }));
    // Garbage, and an answer with a script URL.
    send(Buffer.from([0, 1, 2, 0xff, 0xfe]));
    send(reply({ relatesTo: id, endpoint: 'urn:uuid:js', xaddr: 'javascript:alert(1)', name: 'x' }));
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

describe('WS-Discovery on a hostile network', () => {
  let r: Awaited<ReturnType<typeof hostileResponder>> | null = null;
  afterEach(async () => { await r?.close(); r = null; });

  it('accepts only replies to its own probe, and a broken scope cannot throw', async () => {
    r = await hostileResponder();
    const found = await discoverCameras({ addresses: [`127.0.0.1:${r.port}`], multicast: false, timeoutMs: 800 });
    expect(found.map((d) => d.endpoint)).toEqual(['urn:uuid:real']);
    expect(found[0]).toMatchObject({ host: '127.0.0.1', port: 8899, name: '%E0%A4%A' });
  });
});
