import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/nats-core';
import { loadHubConfig, resolveHubSettings } from '../common/config/hub.ts';
import { natsConnectOptions } from '../common/config/nats.ts';
import { errorMessage, ValidationError } from '../common/errors.ts';
import { connectNats } from '../common/transport/nats-connect.ts';
import { exportIncident, type SnapshotFile } from '../hub/retention/incident-export.ts';
import { createDatabase } from '../hub/store/database.ts';
import { parseCli } from './args.ts';

const USAGE = 'usage: vigil export <incident-id...> --config hub.yaml [--out FILE|DIR] [--snapshots DIR]';

/**
 * `vigil export <incident-id...> --config hub.yaml`: an incident's full record
 * (incident, alarms, dispatches, reports, warnings, audit) as JSON with its
 * SHA-256, read from the hub's store. One JSON line per incident on stdout, or
 * `--out` a file (one incident) or a folder (`<id>.json` each). `--snapshots
 * DIR` also fetches each alarm's snapshot from the Object Store into DIR and
 * records its size and SHA-256. An unknown id is an error naming it; the
 * others are still exported.
 */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(argv, { config: { type: 'string', short: 'c' }, out: { type: 'string' }, snapshots: { type: 'string' } });
  if (!values.config) throw new ValidationError('--config', `is required\n${USAGE}`);
  if (!positionals.length) throw new ValidationError('incident', `give at least one incident id\n${USAGE}`);
  const file = path.resolve(values.config);
  const cfg = loadHubConfig(file);
  const settings = resolveHubSettings(cfg, file);
  const store = createDatabase(settings.database);
  let nc: NatsConnection | null = null;
  let failed = 0;
  try {
    if (values.snapshots) {
      nc = await connectNats(natsConnectOptions(cfg.nats, file, { name: 'vigil-export', retryFirstConnect: false }));
      mkdirSync(values.snapshots, { recursive: true });
    }
    const snapshot = nc && values.snapshots ? snapshotFetcher(nc, values.snapshots) : undefined;
    const many = positionals.length > 1;
    for (const id of positionals) {
      try {
        const record = await exportIncident(store.db, id, { now: Date.now(), ...(snapshot ? { snapshot } : {}) });
        const text = JSON.stringify(record, null, values.out ? 2 : 0);
        if (!values.out) process.stdout.write(`${text}\n`);
        else {
          const target = many || values.out.endsWith('/') ? path.join(values.out, `${id}.json`) : values.out;
          mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
          writeFileSync(target, `${text}\n`, { mode: 0o600 });
          process.stderr.write(`vigil export: incident ${id} → ${target} (sha256 ${record.sha256})\n`);
        }
      } catch (err) {
        failed++;
        process.stderr.write(`vigil export: incident ${id}: ${errorMessage(err)}\n`);
      }
    }
  } finally {
    await nc?.close();
    await store.destroy();
  }
  return failed ? 1 : 0;
}

function snapshotFetcher(nc: NatsConnection, dir: string) {
  const buckets = new Map<string, ReturnType<Objm['open']>>();
  return async (alarmId: string, ref: { bucket: string; name: string }): Promise<SnapshotFile> => {
    const base = { alarmId, bucket: ref.bucket, name: ref.name };
    try {
      let os = buckets.get(ref.bucket);
      if (!os) buckets.set(ref.bucket, (os = new Objm(nc).open(ref.bucket)));
      const data = await (await os).getBlob(ref.name);
      if (!data) return { ...base, file: null, bytes: null, sha256: null, error: 'not in the Object Store (past its retention?)' };
      const out = path.join(dir, `${alarmId.replace(/[^A-Za-z0-9._-]/g, '_')}.jpg`);
      writeFileSync(out, data, { mode: 0o600 });
      return { ...base, file: path.basename(out), bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
    } catch (err) {
      return { ...base, file: null, bytes: null, sha256: null, error: errorMessage(err) };
    }
  };
}
