import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../common/config/load.ts';
import { siteSchema } from '../../../common/config/site.ts';
import { findInlineSecrets, redactSecrets } from '../../../common/config/inline-secrets.ts';

const site = checkConfig(siteSchema, {
  site: { id: 's1', name: 'S' },
  cameras: [
    { id: 'c1', source: { rtsp: 'rtsp://admin:p@ss/w0rd@10.0.0.5/stream' } },
    { id: 'c2', source: { onvif: { host: '10.0.0.6', user: 'admin', password: 'cam-secret' } } },
    { id: 'c3', source: { onvif: { host: '10.0.0.7', user: 'admin', password: { env: 'CAM3_PW' } } } },
  ],
  sensors: [{ id: 'p1', type: 'panic', via: 'webhook', token: 'sensor-tok' }],
}, 'test');

describe('inline secrets in a parsed config', () => {
  it('finds each one by path, and none given by env or file', () => {
    expect(findInlineSecrets(site)).toEqual(['cameras.0.source.rtsp (a password in the URL)', 'cameras.1.source.onvif.password', 'sensors.0.token']);
  });
  it('redacts them for storing (the hub keeps each site config in its database)', () => {
    const text = JSON.stringify(redactSecrets(site));
    expect(text).not.toMatch(/w0rd|p@ss|cam-secret|sensor-tok/);
    expect(text).toContain('rtsp://***:***@10.0.0.5/stream');
    expect(text).toContain('CAM3_PW');
  });
});
