import { describe, it, expect } from 'vitest';
import { maskCredentials, maskValue } from '../../common/mask.ts';
import { createLogger } from '../../common/log.ts';

describe('maskCredentials', () => {
  it('hides user and password in URLs anywhere in a string', () => {
    expect(maskCredentials('open rtsp://admin:s3cret@10.0.0.5:554/stream1 failed')).toBe('open rtsp://***:***@10.0.0.5:554/stream1 failed');
    expect(maskCredentials('nats://edge:pw@127.0.0.1:4222')).toBe('nats://***:***@127.0.0.1:4222');
    expect(maskCredentials('rtsp://onlyuser@cam/x')).toBe('rtsp://***:***@cam/x');
    expect(maskCredentials('rtsp://cam.local/x')).toBe('rtsp://cam.local/x');
  });
  it('masks secret-looking keys and nested URLs', () => {
    const v = maskValue({ password: 'pw', nested: { url: 'rtsp://a:b@h/x', token: 'abc' }, list: ['rtsp://u:p@h'] });
    expect(v).toEqual({ password: '***', nested: { url: 'rtsp://***:***@h/x', token: '***' }, list: ['rtsp://***:***@h'] });
  });
  it('never lets a credential into a log line', () => {
    const lines: string[] = [];
    const log = createLogger({ name: 't', write: (l) => lines.push(l) });
    log.error('ffmpeg failed on rtsp://admin:hunter2@cam/1', { input: 'rtsp://admin:hunter2@cam/1', err: new Error('rtsp://admin:hunter2@cam/1 refused') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('hunter2');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', name: 't' });
  });
});

describe('credentials in other shapes', () => {
  it('masks passwords and tokens in a URL query', () => {
    expect(maskCredentials('rtsp://cam/stream?user=admin&password=s3cret&channel=1')).toBe('rtsp://cam/stream?user=admin&password=***&channel=1');
    expect(maskCredentials('http://cam/snap.jpg?pwd=abc')).toBe('http://cam/snap.jpg?pwd=***');
    expect(maskCredentials('rtsp://cam/stream?channel=1&subtype=0')).toBe('rtsp://cam/stream?channel=1&subtype=0');
  });
  it('masks every leaf of a structured secret (a config { value } or { user, pass })', () => {
    const v = maskValue({ password: { value: 'pw' }, credentials: { type: 'userpass', user: 'edge', pass: 'x' }, ok: { n: 1 } });
    expect(v).toEqual({ password: { value: '***' }, credentials: { type: '***', user: '***', pass: '***' }, ok: { n: 1 } });
    expect(JSON.stringify(v)).not.toMatch(/"pw"|"x"/);
  });
});
