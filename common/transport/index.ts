/** The transport's public surface: what the edge, the hub and the demo import. */
export { connectNats, linkStatus, classifyNatsError, describeAuth } from './nats-connect.ts';
export type { NatsAuth, NatsTls, NatsConnectOptions, LinkStatus } from './nats-connect.ts';
export {
  ensureAlarmStream, alarmStreamConfig, ensureSnapshotBucket, duplicateWindowMs, snapshotObjectName,
  ALARM_HOLD_MS, SNAPSHOT_BUCKET, MAX_SNAPSHOT_BYTES,
} from './alarm-stream.ts';
export type { AlarmStreamOptions } from './alarm-stream.ts';
export { edgePermissions, hubPermissions, renderAuthorization, edgeInboxPrefix, createNkeyUser } from './nats-auth.ts';
export type { SubjectPermissions, UserAuth, EdgeUser, HubUser } from './nats-auth.ts';
export { createBackoff, sleep } from './backoff.ts';
export type { Backoff, BackoffOptions } from './backoff.ts';
export { createStatusChannel } from './status-channel.ts';
export type { StatusChannel } from './status-channel.ts';
