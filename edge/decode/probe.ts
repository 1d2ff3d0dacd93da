import { access } from 'node:fs/promises';
import ffmpeg from 'fluent-ffmpeg';
import { MediaError } from '../../common/errors.ts';

export interface MediaInfo {
  width: number;
  height: number;
  /** frames per second of the video stream (average rate) */
  fps: number;
  /** seconds; NaN when the container does not say (live streams) */
  durationS: number;
  codec: string;
}

function rate(r: string | undefined): number {
  if (!r) return NaN;
  const [n, d] = r.split('/').map(Number);
  return d ? n! / d : Number(n);
}

/**
 * Reads a video file's geometry with ffprobe. Each failure a user can fix
 * (missing file, not a video, a codec this ffmpeg cannot decode) is a
 * MediaError that names the file.
 */
export async function probeMedia(file: string): Promise<MediaInfo> {
  try {
    await access(file);
  } catch (err) {
    throw new MediaError(file, 'file not found or not readable', { cause: err, code: 'MEDIA_NOT_FOUND' });
  }
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) =>
    ffmpeg.ffprobe(file, (err: unknown, d: ffmpeg.FfprobeData) => {
      if (!err) return resolve(d);
      const lines = String((err as Error).message ?? err).split('\n').map((l) => l.trim()).filter(Boolean);
      reject(new MediaError(file, `not a readable video (corrupt or unsupported container): ${lines.at(-1) ?? 'ffprobe failed'}`, { cause: err, code: 'MEDIA_CORRUPT' }));
    }),
  );
  const video = data.streams.find((s) => s.codec_type === 'video');
  if (!video) throw new MediaError(file, 'has no video stream', { code: 'MEDIA_NO_VIDEO' });
  if (!video.codec_name || video.codec_name === 'none' || video.codec_name === 'unknown') {
    throw new MediaError(file, `video codec not supported by this ffmpeg (tag "${video.codec_tag_string ?? '?'}")`, { code: 'MEDIA_CODEC' });
  }
  const width = Number(video.width);
  const height = Number(video.height);
  if (!(width > 0 && height > 0)) throw new MediaError(file, 'video stream has no frame size (corrupt header)', { code: 'MEDIA_CORRUPT' });
  const fps = [video.avg_frame_rate, video.r_frame_rate].map(rate).find((f) => f > 0 && f < 1000) ?? NaN;
  const durationS = Number(video.duration ?? data.format.duration);
  return Object.freeze({ width, height, fps, durationS: Number.isFinite(durationS) ? durationS : NaN, codec: video.codec_name });
}
