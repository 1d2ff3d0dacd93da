import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VigilError } from '../errors.ts';

/**
 * A small tmpfs of its own, for disk-full tests and benches: the volume can be
 * filled to the last block and freed again without touching any real disk.
 * Needs root (or CAP_SYS_ADMIN) on Linux.
 */
export interface Tmpfs {
  readonly dir: string;
  readonly sizeBytes: number;
  /** bytes a file may still take */
  freeBytes(): number;
  /** fills the volume with a filler file until writes fail; returns the bytes written */
  fill(): number;
  /** deletes the filler */
  free(): void;
  unmount(): void;
}

export function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  let t: Tmpfs | null = null;
  try {
    t = mountTmpfs(64 * 1024);
    return true;
  } catch {
    return false;
  } finally {
    t?.unmount();
  }
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tmpfs-'));
  const size = Math.max(64 * 1024, Math.ceil(sizeBytes / 4096) * 4096);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new VigilError('TMPFS', `cannot mount a tmpfs at ${dir} (needs root): ${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}`, { cause: err });
  }
  const filler = path.join(dir, '.filler');
  let mounted = true;
  return {
    dir,
    sizeBytes: size,
    freeBytes() {
      const s = statfsSync(dir);
      return Number(s.bavail) * Number(s.bsize);
    },
    fill() {
      let written = 0;
      const fd = openSync(filler, 'a');
      try {
        // Big writes first, then smaller ones for the last partial blocks.
        for (const n of [256 * 1024, 4096, 512]) {
          const chunk = Buffer.alloc(n, 0x5a);
          try { for (;;) written += writeSync(fd, chunk); } catch (err) {
            if ((err as { code?: string }).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() { rmSync(filler, { force: true }); },
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // Something still holds a file open (a killed child's handle being reaped): detach it now, it goes when released.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
