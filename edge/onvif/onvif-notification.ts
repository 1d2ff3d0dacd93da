/** One ONVIF notification, flattened from the `onvif` package's parsed PullMessages reply. */
export interface OnvifNotification {
  /** the topic without namespace prefixes, e.g. VideoSource/MotionAlarm */
  topic: string;
  /** Initialized (state at subscription time), Changed, Deleted; null when absent */
  operation: string | null;
  /** the camera's own timestamp (camera clock), ISO; null when absent */
  utcTime: string | null;
  source: Record<string, string>;
  data: Record<string, string>;
}

const asArray = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function items(node: any): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of asArray(node?.simpleItem)) {
    const name = it?.$?.Name;
    const value = it?.$?.Value;
    if (name === undefined) continue;
    out[String(name)] = value instanceof Date ? value.toISOString() : String(value ?? '');
  }
  return out;
}

function topicText(t: any): string {
  const raw = typeof t === 'string' ? t : typeof t?._ === 'string' ? t._ : '';
  // tns1:VideoSource/tnsaxis:Tampering → VideoSource/Tampering
  return raw.trim().split('/').map((part: string) => part.replace(/^[^:]*:/, '')).join('/');
}

/** Skips entries that are not notifications rather than failing the whole batch. */
export function parseNotifications(raw: unknown): OnvifNotification[] {
  const out: OnvifNotification[] = [];
  for (const m of asArray(raw as any)) {
    const topic = topicText(m?.topic);
    const msg = m?.message?.message;
    if (!topic || !msg || typeof msg !== 'object') continue;
    const attrs = msg.$ ?? {};
    const utc = attrs.UtcTime instanceof Date ? attrs.UtcTime.toISOString() : attrs.UtcTime ? String(attrs.UtcTime) : null;
    out.push({
      topic,
      operation: attrs.PropertyOperation ? String(attrs.PropertyOperation) : null,
      utcTime: utc,
      source: items(msg.source),
      data: items(msg.data),
    });
  }
  return out;
}
