import type { Transaction, Kysely } from 'kysely';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { DEAD_LETTER_SUBJECT } from '../../common/subjects.ts';
import type { Database } from '../store/schema.ts';

export interface DeadLetter {
  atMs: number;
  subject: string;
  streamSeq: number | null;
  msgId: string | null;
  reason: string;
  payload: Uint8Array;
}

const MAX_STORED_PAYLOAD = 64 * 1024;

export async function storeDeadLetters(db: Kysely<Database> | Transaction<Database>, list: readonly DeadLetter[]): Promise<void> {
  if (!list.length) return;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  await db.insertInto('dead_letters').values(list.map((d) => ({
    at_ms: d.atMs,
    subject: d.subject,
    stream_seq: d.streamSeq,
    msg_id: d.msgId,
    reason: textOnly(d.reason.slice(0, 2000)),
    payload: textOnly(decoder.decode(d.payload.subarray(0, MAX_STORED_PAYLOAD))),
  }))).execute();
}

/**
 * PostgreSQL text refuses U+0000, which garbage payloads (and parse errors quoting them) can hold.
 * A dead letter that cannot be stored would fail its batch again on every redelivery.
 */
const textOnly = (s: string) => s.replace(/\u0000/g, '\uFFFD');

/** Publishes to the dead-letter subject with the reason in headers, for whoever watches poison (alerts, a DLQ stream). */
export function publishDeadLetters(nc: NatsConnection, list: readonly DeadLetter[]): void {
  for (const d of list) {
    const h = natsHeaders();
    h.set('Vigil-Reason', d.reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
    h.set('Vigil-Subject', d.subject);
    if (d.streamSeq !== null) h.set('Vigil-Stream-Seq', String(d.streamSeq));
    if (d.msgId) h.set('Vigil-Msg-Id', d.msgId);
    nc.publish(DEAD_LETTER_SUBJECT, d.payload, { headers: h });
  }
}
