import { VigilError } from '../../common/errors.ts';
import { maskCredentials } from '../../common/mask.ts';

export type OnvifErrorCode =
  | 'ONVIF_AUTH' | 'ONVIF_FAULT' | 'ONVIF_MALFORMED' | 'ONVIF_UNREACHABLE' | 'ONVIF_TIMEOUT' | 'ONVIF_PROFILE' | 'ONVIF';

/**
 * A camera that refused, faulted, answered nonsense or could not be reached.
 * Always names the camera (its id and its address, credentials masked) and
 * the operation, so that a site with forty cameras can tell which one.
 */
export class OnvifError extends VigilError {
  readonly camera: string;
  readonly operation: string;
  constructor(camera: string, operation: string, message: string, options?: { cause?: unknown; code?: OnvifErrorCode }) {
    super(options?.code ?? 'ONVIF', maskCredentials(`camera ${camera}: ${operation}: ${message}`), options);
    this.camera = maskCredentials(camera);
    this.operation = operation;
  }
}

/** Wraps whatever the `onvif` package or the socket threw into an OnvifError with a stable code. */
export function toOnvifError(camera: string, operation: string, err: unknown): OnvifError {
  if (err instanceof OnvifError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  const msg = err instanceof Error ? err.message : String(err);
  let code: OnvifErrorCode = 'ONVIF';
  let text = msg;
  if (/notauthori[sz]ed|not authori[sz]ed|unauthori[sz]ed|authentication failed/i.test(msg)) { code = 'ONVIF_AUTH'; text = `not authorized (wrong user or password, or clock too far off): ${msg}`; }
  else if (/SOAP Fault/i.test(msg)) code = 'ONVIF_FAULT';
  else if (/Wrong ONVIF SOAP response|Unexpected|Unclosed|Invalid character|Non-whitespace|Unmatched|Text data outside|Cannot read|undefined/i.test(msg)) { code = 'ONVIF_MALFORMED'; text = `malformed response: ${msg}`; }
  else if (e?.code && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'].includes(e.code)) { code = 'ONVIF_UNREACHABLE'; text = `unreachable (${e.code})`; }
  else if (/timeout/i.test(msg) || e?.code === 'ETIMEDOUT') { code = 'ONVIF_TIMEOUT'; text = `no answer in time: ${msg}`; }
  return new OnvifError(camera, operation, text, { cause: err, code });
}
