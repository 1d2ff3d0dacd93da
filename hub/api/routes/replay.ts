import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { errorBody } from '../response-schemas.ts';
import { ApiError } from '../../service-errors.ts';
import type { HubDeps } from '../deps.ts';
import { jsonBody, queryParams } from '../validate.ts';
import { ReplayBusyError, type ReplayRun, type ReplayService } from '../../replay/replay-service.ts';
import { translator } from '../../i18n/catalogue.ts';

/** A clip of a few minutes of 1080p H.264 fits; anything bigger belongs on the command line. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const runBody = z.object({ clip: z.string().min(1).max(128), source: z.enum(['fixture', 'upload']).default('fixture') }).strict();
const runQuery = z.object({ after: z.coerce.number().int().min(0).default(0) }).strict();
const VIDEO_TYPES: Record<string, string> = { '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime', '.avi': 'video/x-msvideo', '.mkv': 'video/x-matroska' };

/** The run as the browser sees it: alarms from `after` on, so that polling fetches only what is new. */
function runDto(run: ReplayRun, after = 0) {
  return { ...run, alarmCount: run.alarms.length, alarms: run.alarms.slice(after) };
}

export function registerReplayRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  const engineer = { permission: 'replay.use' } as const;
  // Built by the host (hub-node) and read per request: a test may stand in its own runner.
  const service = (): ReplayService => {
    if (!deps.replay) throw new ApiError(503, 'unavailable', 'replay is not running on this hub', 'error.not_running', { service: 'replay' });
    return deps.replay;
  };

  route(app, { method: 'get', path: '/api/replay/clips', access: engineer, summary: 'Clips to replay: the fixtures and engineers\' uploads.', responses: { 200: z.object({ clips: z.array(clip) }), 503: errorBody } }, (c) => c.json({ clips: service().clips() }));

  route(app, {
    method: 'post', path: '/api/replay/uploads', access: engineer, query: uploadQuery, rawBody: { mediaType: 'application/octet-stream', description: `the clip\'s bytes, at most ${MAX_UPLOAD_BYTES}` },
    summary: 'Upload a clip to replay; a clip of the same name is replaced only with replace=true.',
    responses: { 201: z.object({ clip: clip.omit({ truth: true }) }), 409: errorBody, 413: errorBody, 507: errorBody },
  }, bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: (c) => c.json({ error: 'payload_too_large', message: `a clip may be at most ${MAX_UPLOAD_BYTES} bytes` }, 413),
  }), async (c) => {
    const { name, replace } = queryParams(c, uploadQuery);
    const target = service().uploadPath(name);
    // A clip of the same name is not replaced unless asked: another engineer's runs may refer to it.
    if (existsSync(target) && replace !== 'true') {
      throw new ApiError(409, 'clip_exists', `a clip named ${path.basename(target)} exists; upload under another name, or add replace=true`, 'error.clip_exists', { name: path.basename(target), option: 'replace=true' });
    }
    const body = c.req.raw.body;
    if (!body) throw new HTTPException(400, { message: 'the request has no body; send the clip bytes' });
    // Uploads together stay under a quota (the replaced clip's bytes count as freed).
    const room = service().uploadRoom() + (replace === 'true' && existsSync(target) ? statSync(target).size : 0);
    const declared = Number(c.req.header('content-length') ?? NaN);
    const quota = service().uploadQuotaBytes;
    const message = `uploaded clips may take ${quota} bytes in all; delete some or ask for a larger quota`;
    const localised = c.get('locale') === 'en' ? message : translator(c.get('locale')).t('error.upload_quota', { bytes: quota });
    // Answered before the body is read: the connection is closed rather than the rest of a large body drained.
    const refuse = () => c.json({ error: 'insufficient_storage', message: localised }, 507, { connection: 'close' });
    if (declared > room) return refuse();
    class QuotaExceeded extends Error {}
    // Written beside the target and renamed, so that a half-sent clip never shows in the list.
    const partial = `${target}.part-${process.pid}-${Date.now()}`;
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(received > room ? new QuotaExceeded(message) : null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(body as never), count, createWriteStream(partial));
      await rename(partial, target);
    } catch (err) {
      await rm(partial, { force: true });
      if (err instanceof QuotaExceeded) return refuse();
      throw err;
    }
    deps.logger.info('replay clip uploaded', { user: c.get('user').name, name: path.basename(target), bytes: statSync(target).size });
    return c.json({ clip: { name: path.basename(target), source: 'upload', bytes: statSync(target).size } }, 201);
  });

  route(app, { method: 'get', path: '/api/replay/runs', access: engineer, summary: 'Replay runs, newest first, without their alarms.', responses: { 200: z.object({ runs: z.array(run) }), 503: errorBody } }, (c) => c.json({ runs: service().list().map((r) => ({ ...runDto(r), alarms: [] })) }));

  route(app, { method: 'post', path: '/api/replay/runs', access: engineer, body: runBody, summary: 'Queue a replay of a clip through the edge pipeline.', responses: { 202: z.object({ run }), 429: errorBody, 503: errorBody } }, async (c) => {
    const body = await jsonBody(c, runBody);
    let run;
    try {
      run = service().start(body.source, body.clip);
    } catch (err) {
      if (err instanceof ReplayBusyError) throw new ApiError(429, 'too_many_runs', err.message, 'error.replay_busy', { count: err.queued });
      throw err;
    }
    deps.logger.info('replay run queued', { user: c.get('user').name, id: run.id, clip: run.clip });
    return c.json({ run: runDto(run) }, 202);
  });

  route(app, { method: 'get', path: '/api/replay/runs/:id', access: engineer, params: z.object({ id: z.string().min(1) }), query: runQuery, summary: 'A run, with its alarms from `after` on (poll with the count seen so far).', responses: { 200: z.object({ run }), 404: errorBody, 503: errorBody } }, (c) => {
    const run = service().get(c.req.param('id'));
    if (!run) throw new HTTPException(404, { message: 'no such replay run' });
    return c.json({ run: runDto(run, queryParams(c, runQuery).after) });
  });

  route(app, { method: 'get', path: '/api/replay/runs/:id/snapshots/:name', access: engineer, params: z.object({ id: z.string().min(1), name: z.string().min(1) }), summary: 'A snapshot a replay run wrote.', responses: { 200: { mediaType: 'image/jpeg', description: 'the snapshot' }, 404: errorBody, 503: errorBody } }, async (c) => {
    const file = service().snapshotPath(c.req.param('id'), c.req.param('name'));
    if (!file) throw new HTTPException(404, { message: 'no such snapshot' });
    try { statSync(file); } catch { throw new HTTPException(404, { message: 'no such snapshot' }); }
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' });
  });

  route(app, { method: 'get', path: '/api/replay/media/:source/:name', access: engineer, params: z.object({ source: z.enum(['fixture', 'upload']), name: z.string().min(1) }), summary: 'A clip\'s video, to play beside its alarms.', responses: { 200: { mediaType: 'video/*', description: 'the clip' }, 404: errorBody, 503: errorBody } }, (c) => {
    const source = c.req.param('source');
    if (source !== 'fixture' && source !== 'upload') throw new HTTPException(404, { message: 'no such clip' });
    const file = service().clipPath(source, c.req.param('name'));
    let size = 0;
    try { size = file ? statSync(file).size : 0; } catch { /* below */ }
    if (!file || !size) throw new HTTPException(404, { message: 'no such clip' });
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, { 'content-type': VIDEO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': String(size) });
  });
}

const uploadQuery = z.object({ name: z.string().min(1).max(128), replace: z.enum(['true', 'false']).optional() }).strict();
const clip = z.object({ name: z.string(), source: z.enum(['fixture', 'upload']), bytes: z.number(), truth: z.string().nullable() });
const run = z.object({
  id: z.string(), clip: z.string(), source: z.enum(['fixture', 'upload']), status: z.string(), createdAt: z.number(), startedAt: z.number().nullable(), endedAt: z.number().nullable(),
  alarmCount: z.number(), alarms: z.array(z.record(z.string(), z.unknown())).describe('alarm lines of `vigil replay --json`'),
  summary: z.record(z.string(), z.unknown()).nullable(), truth: z.object({ objects: z.array(z.unknown()) }).nullable(), error: z.string().nullable(), warnings: z.array(z.string()),
});
