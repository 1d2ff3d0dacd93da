import { createUser } from '@nats-io/nkeys';
import { ValidationError } from '../errors.ts';
import { ALARM_STREAM, HUB_EVENTS_SUBJECT, SUBJECT_PREFIX, alarmSubjectsFor, healthSubject, sensorSubjectsFor } from '../subjects.ts';
import { snapshotBucketFor } from './alarm-stream.ts';

/**
 * Deny-by-default NATS permissions. Once a user has an `allow` list the server
 * refuses every other subject, so each list below is the whole of what that
 * role can do.
 */
export interface SubjectPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/** An edge's reply subjects live under its own prefix, so it may subscribe to its replies and to nobody else's. */
export function edgeInboxPrefix(site: string, edge: string): string {
  return `_INBOX.${site}.${edge}`;
}

/**
 * What one edge needs, worked out from what nats.js sends:
 * - alarm publish with PubAck: `vigil.alarm.<site>.>` and replies on its inbox;
 * - heartbeats: its own `vigil.health.<site>.<edge>` (core NATS);
 * - `$JS.API.INFO` (jetstreamManager() checks the account) and STREAM.INFO of
 *   the alarm stream (to read the duplicate window back as its hold time);
 * - snapshot upload: publishes (with PubAck) on `$O.<bucket>.C.>` (chunks) and
 *   `$O.<bucket>.M.>` (metadata) only; edge/sink/snapshot-upload.ts writes the
 *   Object Store format itself, so an edge needs no read, info or purge right
 *   on the bucket and cannot read other sites' snapshots.
 * Deliberately absent: stream create/update/delete/purge, consumers, direct or
 * message gets, reading any alarm, dispatch, health or other site's subjects.
 * Each site has its own bucket, so these rights reach no other site's
 * snapshots; the bucket's stream refuses rollups and purges (ensureSnapshotBucket).
 */
export function edgePermissions(site: string, edge: string, bucket = snapshotBucketFor(site)): SubjectPermissions {
  return {
    publish: {
      allow: [
        alarmSubjectsFor(site),
        healthSubject(site, edge),
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${ALARM_STREAM}`,
        `$O.${bucket}.C.>`,
        `$O.${bucket}.M.>`,
      ],
    },
    // Sensor readings for its own site (edge/sensors/sensor-nats.ts), and its own replies.
    subscribe: { allow: [`${edgeInboxPrefix(site, edge)}.>`, sensorSubjectsFor(site)] },
  };
}

/** The hub: manages streams and consumers, reads alarms, health and snapshots, publishes dispatches and warnings. */
export function hubPermissions(): SubjectPermissions {
  return {
    publish: {
      allow: ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$O.>', `${SUBJECT_PREFIX}.dispatch.>`, `${SUBJECT_PREFIX}.warning.>`, `${SUBJECT_PREFIX}.deadletter.>`, HUB_EVENTS_SUBJECT],
    },
    subscribe: { allow: ['_INBOX.>', `${SUBJECT_PREFIX}.>`, '$O.>', '$JS.EVENT.>'] },
  };
}

export type UserAuth = { user: string; password: string } | { nkey: string };

export interface EdgeUser { site: string; edge: string; auth: UserAuth }
export interface HubUser { auth: UserAuth }

const q = (s: string) => JSON.stringify(s);

/** One `users` entry with its permissions (credentials inside: never log it). */
export function renderUser(auth: UserAuth, perms: SubjectPermissions, field: string): string {
  let id: string;
  if ('nkey' in auth) {
    if (!/^U[A-Z2-7]{55}$/.test(auth.nkey)) throw new ValidationError(`${field}.nkey`, 'must be an nkey user public key (U…, 56 characters)');
    id = `nkey: ${q(auth.nkey)}`;
  } else {
    if (!auth.user || /[\s"\\]/.test(auth.user)) throw new ValidationError(`${field}.user`, 'must be non-empty, without spaces or quotes');
    if (!auth.password) throw new ValidationError(`${field}.password`, 'must be non-empty');
    id = `user: ${q(auth.user)}, password: ${q(auth.password)}`;
  }
  const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;
  return `    { ${id}, permissions: { publish: { allow: ${list(perms.publish.allow)} }, subscribe: { allow: ${list(perms.subscribe.allow)} } } }`;
}

/**
 * Renders the nats-server `authorization { users: [...] }` block for the hub
 * and a list of edges. The output holds credentials: write it to a file only
 * the server can read, never to a log.
 */
export function renderAuthorization(opts: { hub: HubUser; edges: readonly EdgeUser[]; bucket?: string }): string {
  const lines = [renderUser(opts.hub.auth, hubPermissions(), 'hub.auth')];
  const seen = new Set<string>();
  opts.edges.forEach((e, i) => {
    const key = `${e.site}/${e.edge}`;
    if (seen.has(key)) throw new ValidationError(`edges.${i}`, `duplicate edge ${key}`);
    seen.add(key);
    lines.push(renderUser(e.auth, edgePermissions(e.site, e.edge, opts.bucket), `edges.${i}.auth`));
  });
  return `authorization {\n  users: [\n${lines.join('\n')}\n  ]\n}\n`;
}

/** A fresh nkey identity for an edge: give the seed to the edge (a secret file), the public key to the server config. */
export function createNkeyUser(): { seed: string; publicKey: string } {
  const kp = createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}
