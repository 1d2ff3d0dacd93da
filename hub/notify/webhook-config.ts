import { z } from 'zod';
import { token } from '../../common/alarm.ts';
import { secretSchema } from '../../common/config/secret.ts';
import { checkConfig, readSecret } from '../../common/config/load.ts';
import { ConfigError } from '../../common/errors.ts';

/**
 * hub.yaml `notifications:`: the outbound webhooks (a PA system, an SMS
 * gateway, a radio bridge). Which events reach which webhook is each site's
 * policy (site.yaml `policy.notify`).
 *
 * ```yaml
 * notifications:
 *   webhooks:
 *     - { id: pa, url: https://pa.example/hooks/vigil, secret: { env: VIGIL_PA_SECRET } }
 * ```
 */
export const webhookSchema = z.object({
  id: token,
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** the HMAC-SHA256 key; at least 16 characters */
  secret: secretSchema,
  /** attempts before the notification is dead-lettered; @default 6 */
  maxAttempts: z.number().int().min(1).max(30).default(6),
  /** first retry after this, doubling each time; @default 2 */
  backoffS: z.number().positive().max(3600).default(2),
  /** @default 300 */
  maxBackoffS: z.number().positive().max(24 * 3600).default(300),
  /** @default 10 */
  timeoutS: z.number().positive().max(120).default(10),
}).strict();

export const notificationsConfigSchema = z.object({
  webhooks: z.array(webhookSchema).max(50).default([]),
}).strict().superRefine((c, ctx) => {
  const seen = new Set<string>();
  c.webhooks.forEach((w, i) => {
    if (seen.has(w.id)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'id'], message: `duplicate webhook id ${w.id}` });
    seen.add(w.id);
  });
});

export interface Webhook {
  id: string;
  url: string;
  /** never logged */
  secret: string;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
}

/** Checks the block and resolves each secret; an error names the file and the field. */
export function resolveWebhooks(value: unknown, file: string): Webhook[] {
  const cfg = checkConfig(notificationsConfigSchema, value ?? {}, `${file} (notifications)`);
  return cfg.webhooks.map((w, i) => {
    const secret = readSecret(w.secret, `notifications.webhooks.${i}.secret`, file) ?? '';
    if (secret.length < 16) throw new ConfigError(file, [{ path: `notifications.webhooks.${i}.secret`, message: 'must be at least 16 characters' }]);
    return Object.freeze({ id: w.id, url: w.url, secret, maxAttempts: w.maxAttempts, backoffMs: w.backoffS * 1000, maxBackoffMs: w.maxBackoffS * 1000, timeoutMs: w.timeoutS * 1000 });
  });
}
