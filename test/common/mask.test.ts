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

describe('credentials that do not look like a simple user:pass', () => {
  it('masks a password with "/" or "@" in it entirely', () => {
    for (const url of ['rtsp://admin:p@ss/w0rd@10.0.0.5:554/s1', 'rtsp://admin:a/b/c@10.0.0.5/s1', 'rtsp://admin:@@@@10.0.0.5/s1', 'rtsp://ad@min:x@10.0.0.5/s1']) {
      const m = maskCredentials(`open ${url} failed`);
      expect(m, url).toBe('open rtsp://***:***@10.0.0.5' + url.slice(url.lastIndexOf('@') + 1 + '10.0.0.5'.length) + ' failed');
      expect(m).not.toMatch(/p@ss|w0rd|a\/b\/c|ad@min|admin/);
    }
    // Two URLs on one line, and one in JSON, each masked on its own.
    expect(maskCredentials('a rtsp://u:p/x@h1/s and nats://v:q@h2:4222')).toBe('a rtsp://***:***@h1/s and nats://***:***@h2:4222');
    expect(maskCredentials('{"url":"rtsp://u:p@w@h/s","note":"a@b"}')).toBe('{"url":"rtsp://***:***@h/s","note":"a@b"}');
  });
  it('never logs a value nested deeper than it walks', () => {
    let deep: Record<string, unknown> = { password: 'hunter2', url: 'rtsp://u:hunter2@cam/x' };
    for (let i = 0; i < 12; i++) deep = { level: deep };
    expect(JSON.stringify(maskValue(deep))).not.toContain('hunter2');
    expect(JSON.stringify(maskValue(deep))).toContain('[nested too deep]');
  });
});
