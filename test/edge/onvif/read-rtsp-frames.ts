import { spawn } from 'node:child_process';

/**
 * Reads `count` decoded RGB frames from an RTSP URL with a real ffmpeg, as
 * the edge decoder would. Resolves with the byte count and ffmpeg's exit code.
 */
export function readRtspFrames(url: string, opts: { count?: number; width?: number; height?: number; transport?: 'tcp' | 'udp'; timeoutMs?: number } = {}): Promise<{ bytes: number; code: number | null; stderr: string }> {
  const count = opts.count ?? 3;
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', opts.transport ?? 'tcp', '-i', url,
      '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { bytes += b.length; });
    p.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000); });
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(t); resolve({ bytes, code, stderr }); });
  });
}
