import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from '../../../common/proc/free-port.ts';

/**
 * A real RTSP server on loopback: Debian's rtsp-server-perl, with ffmpeg
 * publishing looped footage to it (ANNOUNCE/RECORD). It serves RTP over UDP
 * only, so clients must use the udp transport.
 */
export class RtspTestServer {
  #server: ChildProcess | null = null;
  #publisher: ChildProcess | null = null;
  log: string[] = [];
  private constructor(readonly clientPort: number, readonly sourcePort: number, readonly rtpBase: number, readonly file: string) {}

  static async start(file: string): Promise<RtspTestServer> {
    const s = new RtspTestServer(await freePort(), await freePort(), 30_000 + 2 * Math.floor(Math.random() * 10_000), file);
    await s.up();
    return s;
  }

  url(path = 'cam1'): string { return `rtsp://127.0.0.1:${this.clientPort}/${path}`; }

  async up(): Promise<void> {
    const keep = (b: Buffer) => { this.log.push(...b.toString().split('\n').filter(Boolean)); this.log = this.log.slice(-40); };
    const srv = spawn('rtsp-server-perl', [
      '--clientport', String(this.clientPort), '--serverport', String(this.sourcePort),
      '--client_listen_address', '127.0.0.1', '--source_listen_address', '127.0.0.1', '--rtp_start_port', String(this.rtpBase), '-l', process.env.RTSP_TEST_LOG ?? '2',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    srv.stdout?.on('data', keep);
    srv.stderr?.on('data', keep);
    this.#server = srv;
    await waitForPort(this.sourcePort, 20_000);
    await waitForPort(this.clientPort, 20_000);
    const pub = spawn('ffmpeg', [
      '-v', 'error', '-nostdin', '-re', '-stream_loop', '-1', '-i', this.file, '-an', '-vf', 'scale=384:288',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'rtsp', `rtsp://127.0.0.1:${this.sourcePort}/cam1`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    pub.stderr?.on('data', keep);
    this.#publisher = pub;
    await this.#waitForStream();
  }

  /** Until a client can read the stream's size: the publisher has announced and RTP is flowing. */
  async #waitForStream(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const width = await new Promise<string>((resolve) => {
        execFile('ffprobe', ['-v', 'error', '-rtsp_transport', 'udp', '-timeout', '5000000', '-show_entries', 'stream=width', '-of', 'csv=p=0', this.url()], { timeout: 15_000 }, (err, stdout) => resolve(err ? '' : stdout.trim()));
      });
      if (Number(width) > 0) return;
      if (Date.now() > deadline) throw new Error(`RTSP test stream did not come up: ${this.log.slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** A crash: SIGKILL the server; the publisher loses its connection and is stopped too. */
  async down(): Promise<void> {
    await Promise.all([this.#server, this.#publisher].map((p) => kill(p)));
    this.#server = null;
    this.#publisher = null;
  }
}

function kill(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { p.once('exit', () => resolve()); p.kill('SIGKILL'); });
}
