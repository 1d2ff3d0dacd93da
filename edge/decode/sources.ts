import { resolve as resolvePath } from 'node:path';
import { ValidationError } from '../../common/errors.ts';
import { maskCredentials } from '../../common/mask.ts';
import type { CameraSource } from '../types.ts';

export interface FileSourceOptions {
  /** pace decoding at the file's own frame rate (ffmpeg -re); default false: as fast as possible */
  realtime?: boolean;
  /** play the file again from the start when it ends (a simulated camera); default false */
  loop?: boolean;
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(id)) throw new ValidationError('camera.id', `expected 1–64 characters of [A-Za-z0-9_.:-], got "${id}"`);
}

/** Recorded footage; replay uses it as fast as it can, the demo loops it in real time. */
export function createFileSource(id: string, path: string, options: FileSourceOptions = {}): CameraSource {
  checkId(id);
  if (!path) throw new ValidationError(`cameras.${id}.file`, 'a file path is required');
  const input = resolvePath(path);
  const opts = Object.freeze({ realtime: Boolean(options.realtime), loop: Boolean(options.loop) });
  return Object.freeze({
    id,
    display: input,
    async resolve() { return { input, realtime: opts.realtime, loop: opts.loop, isLive: false }; },
  });
}

export interface RtspSourceOptions {
  user?: string;
  password?: string;
  /**
   * RTP transport. Default tcp: it crosses NAT and firewalls and loses no packets
   * on busy links. udp is for servers that only serve RTP over UDP (for example
   * rtsp-server-perl, used by the tests).
   */
  transport?: 'tcp' | 'udp';
}

/**
 * An RTSP camera. Credentials may come in the URL or separately (from a secret
 * store); either way they only exist in the URL handed to ffmpeg, and
 * `display` never shows them.
 */
export function createRtspSource(id: string, url: string, options: RtspSourceOptions = {}): CameraSource {
  checkId(id);
  const transport = options.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp') throw new ValidationError(`cameras.${id}.transport`, `expected tcp or udp, got "${transport}"`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ValidationError(`cameras.${id}.rtsp`, `not a URL: ${maskCredentials(url)}`, { cause: err });
  }
  if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') throw new ValidationError(`cameras.${id}.rtsp`, `expected an rtsp:// URL, got ${parsed.protocol}//`);
  if (options.user !== undefined) parsed.username = encodeURIComponent(options.user);
  if (options.password !== undefined) parsed.password = encodeURIComponent(options.password);
  const input = parsed.href;
  const shown = new URL(input);
  if (shown.username || shown.password) { shown.username = '***'; shown.password = '***'; }
  const display = shown.href;
  return Object.freeze({
    id,
    display,
    async resolve() { return { input, realtime: false, loop: false, isLive: true, rtspTransport: transport }; },
    // Keeps the credential-bearing URL out of console.log / JSON.stringify of the source.
    toJSON() { return { id, display }; },
  });
}
