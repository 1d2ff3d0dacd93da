import { spawnSync } from 'node:child_process';
import { VigilError } from '../../common/errors.ts';

/** Debian package that provides each command the demo needs. */
const PACKAGES: Record<string, string> = { ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', 'nats-server': 'nats-server' };

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure the system commands exist: installs the missing ones with apt-get
 * when running as root on Debian, and otherwise says exactly what to run.
 */
export function ensureSystemTools(commands: readonly string[], log: (msg: string) => void): void {
  const missing = commands.filter((c) => !has(c));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((c) => PACKAGES[c] ?? c))];
  const cmd = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    log(`installing ${pkgs.join(', ')} (${cmd})`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = update.status === 0 ? spawnSync('sh', ['-c', cmd], { stdio: 'inherit', env }) : update;
    if (install.status === 0 && commands.every(has)) return;
  }
  throw new VigilError('MISSING_TOOLS', `missing ${missing.join(', ')}; install with:\n  sudo apt-get update && sudo ${cmd}`);
}
