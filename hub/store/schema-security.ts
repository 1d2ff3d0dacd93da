import type { Generated } from 'kysely';

/**
 * Tables added by the hardening work (issue 12): the store's write probe,
 * login limits shared by every hub replica, sessions with their refresh and
 * stream tickets, and the record of audit exports that retention deletes
 * against. Conventions as in schema.ts (`*_ms` epoch milliseconds).
 */
export interface StoreProbeTable {
  /** one row per hub process, rewritten by each probe */
  id: string;
  at_ms: number;
  /** filler of the size the probe needs to prove the store can take a batch */
  data: Uint8Array;
}

export interface LoginLimitTable {
  /** `name:<user>`, `name?<bucket>` for names that are not users, or `addr:<address>` */
  key: string;
  window_start_ms: number;
  attempts: number;
  locked_until_ms: number;
  updated_at_ms: number;
}

export interface SessionTable {
  id: string;
  user_name: string;
  /** fingerprint of the user's credentials when the session began: a changed password ends it */
  credential: string;
  /** JSON {role, unit?, sites?} at login: used only where the host has no user directory */
  user_view: string;
  created_at_ms: number;
  /** the refresh token's (and so the session's) end */
  expires_at_ms: number;
  /** SHA-256 of the current refresh token (hex) */
  refresh_hash: string;
  /** SHA-256 of the one before: presenting it again means the token was copied, and ends the session */
  prev_refresh_hash: string | null;
  refreshed_at_ms: number;
  revoked_at_ms: number | null;
  revoked_reason: string | null;
}

export interface StreamTicketTable {
  /** SHA-256 of the one-use ticket (hex) */
  ticket_hash: string;
  session_id: string;
  expires_at_ms: number;
}

export interface AuditExportTable {
  id: Generated<number>;
  /** audit_log ids from_id..upto_id (inclusive) are in the file */
  from_id: number;
  upto_id: number;
  rows: number;
  at_ms: number;
  file: string;
  sha256: string;
}

/** hub/store/due-timers.ts: deadlines any replica may fire, once */
export interface DueTimerTable {
  /** `<kind>:<ref>`: one timer per thing and deadline kind */
  id: string;
  kind: string;
  ref: string;
  due_at_ms: number;
  /** the replica holding the claim, until lease_until_ms */
  owner: string | null;
  lease_until_ms: number | null;
  attempts: number;
  fired_at_ms: number | null;
  fired_by: string | null;
}

export interface SecurityTables {
  due_timers: DueTimerTable;
  store_probe: StoreProbeTable;
  login_limits: LoginLimitTable;
  sessions: SessionTable;
  stream_tickets: StreamTicketTable;
  audit_exports: AuditExportTable;
}
