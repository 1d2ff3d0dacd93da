import { createHash, randomBytes } from 'node:crypto';
import onvifPkg from 'onvif';
import type { Cam as CamType } from 'onvif';
import type { Logger } from '../../common/log.ts';
import { OnvifError, toOnvifError } from './onvif-error.ts';
import { parseNotifications, type OnvifNotification } from './onvif-notification.ts';

const { Cam } = onvifPkg;

export interface OnvifConnectOptions {
  host: string;
  port: number;
  path?: string;
  user?: string;
  password?: string;
  /** the camera's id in the site config, for error messages */
  camera?: string;
  logger: Logger;
  /**
   * Longest any single request may take.
   * @default 10000 millis
   */
  timeoutMs?: number;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface PullResult {
  notifications: OnvifNotification[];
  /** local wall-clock ms when the subscription ends unless renewed */
  terminationAt: number;
}

/** One connected camera. Holds at most one PullPoint subscription. */
export interface OnvifConnection {
  /** `id (host:port)`, safe to log */
  readonly label: string;
  readonly deviceInformation: DeviceInformation;
  readonly profiles: readonly OnvifProfile[];
  /** camera clock minus local clock, from GetSystemDateAndTime, ms */
  readonly clockOffsetMs: number;
  /** picks a profile by token or index; the first by default */
  profile(selector?: string | number): OnvifProfile;
  streamUri(profileToken: string): Promise<string>;
  snapshotUri(profileToken: string): Promise<string>;
  createPullPoint(): Promise<{ address: string; terminationAt: number }>;
  pullMessages(messageLimit?: number): Promise<PullResult>;
  renew(): Promise<number>;
  unsubscribe(): Promise<void>;
}

type Callback = (err: Error | null, data?: any, xml?: string) => void;

/**
 * The `onvif` package draws its WS-UsernameToken nonce from Math.random and
 * hashes the password as ASCII. Replace that, per instance, with a
 * crypto.randomBytes nonce and UTF-8, keeping its clock-offset handling
 * (timeShift from GetSystemDateAndTime).
 */
function secureDigest(cam: CamType & { timeShift?: number; password?: string }) {
  (cam as unknown as { _passwordDigest: () => unknown })._passwordDigest = function () {
    const timestamp = new Date(process.uptime() * 1000 + (cam.timeShift ?? 0)).toISOString();
    const nonce = randomBytes(16);
    const passdigest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(timestamp, 'utf8'), Buffer.from(cam.password ?? '', 'utf8')])).digest('base64');
    return { passdigest, nonce: nonce.toString('base64'), timestamp };
  };
}

/**
 * Calls a callback-style `onvif` method once. The package can call back twice
 * (its XML parser re-reports an exception thrown in a callback) or never
 * (when its own connect bookkeeping throws), so: first answer wins, and a
 * deadline turns silence into an error.
 */
function call<T>(label: string, op: string, timeoutMs: number, fn: (cb: Callback) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`Network timeout after ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | null, data?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(toOnvifError(label, op, err));
      else resolve(data as T);
    };
    try {
      fn((err, data) => finish(err, data));
    } catch (err) {
      finish(err as Error);
    }
  });
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Connects: GetSystemDateAndTime (clock offset), GetServices, GetProfiles, GetVideoSources, GetDeviceInformation. */
export async function connectOnvif(options: OnvifConnectOptions): Promise<OnvifConnection> {
  const o = Object.freeze({ path: '/onvif/device_service', timeoutMs: 10_000, ...options });
  const label = `${o.camera ?? 'onvif'} (${o.host}:${o.port})`;
  const cam = new Cam({
    hostname: o.host, port: o.port, path: o.path,
    username: o.user, password: o.password,
    autoconnect: false, timeout: o.timeoutMs,
  }) as CamType & { timeShift?: number; profiles?: any[]; events: Record<string, any> };
  secureDigest(cam);
  // the package emits 'warning' and 'eventsError'; an EventEmitter 'error' without a listener would throw
  cam.on('error', (err: unknown) => o.logger.warn('onvif client error', { camera: label, error: err }));
  cam.on('warning', (w: unknown) => o.logger.warn('onvif camera warning', { camera: label, warning: String(w) }));

  await call<void>(label, 'connect', o.timeoutMs * 4, (cb) => cam.connect(cb));
  const info = await call<Record<string, unknown>>(label, 'GetDeviceInformation', o.timeoutMs, (cb) => cam.getDeviceInformation(cb));
  const profiles: OnvifProfile[] = (cam.profiles ?? []).map((p: any) => {
    const enc = p?.videoEncoderConfiguration;
    return {
      token: str(p?.$?.token),
      name: str(p?.name),
      encoding: enc?.encoding ? String(enc.encoding) : null,
      width: num(enc?.resolution?.width),
      height: num(enc?.resolution?.height),
      fps: num(enc?.rateControl?.frameRateLimit),
    };
  }).filter((p: OnvifProfile) => p.token);
  if (profiles.length === 0) throw new OnvifError(label, 'GetProfiles', 'the camera reports no media profiles', { code: 'ONVIF_PROFILE' });
  const deviceInformation: DeviceInformation = Object.freeze({
    manufacturer: str(info?.manufacturer), model: str(info?.model), firmwareVersion: str(info?.firmwareVersion),
    serialNumber: str(info?.serialNumber), hardwareId: str(info?.hardwareId),
  });
  const clockOffsetMs = process.uptime() * 1000 + (cam.timeShift ?? 0) - Date.now();
  o.logger.info('onvif camera connected', { camera: label, model: deviceInformation.model, profiles: profiles.length, clockOffsetMs: Math.round(clockOffsetMs) });

  const localTermination = (r: any): number => {
    const cur = r?.currentTime instanceof Date ? r.currentTime.getTime() : Date.parse(str(r?.currentTime));
    const end = r?.terminationTime instanceof Date ? r.terminationTime.getTime() : Date.parse(str(r?.terminationTime));
    if (!Number.isFinite(cur) || !Number.isFinite(end)) throw new OnvifError(label, 'subscription', 'malformed response: no CurrentTime/TerminationTime', { code: 'ONVIF_MALFORMED' });
    return Date.now() + (end - cur); // both are camera-clock times: their difference needs no offset
  };

  return {
    label,
    deviceInformation,
    profiles: Object.freeze(profiles),
    clockOffsetMs,
    profile(selector) {
      if (selector === undefined) return profiles[0]!;
      const p = typeof selector === 'number' ? profiles[selector] : profiles.find((x) => x.token === selector);
      if (!p) throw new OnvifError(label, 'profile', `no profile ${typeof selector === 'number' ? `at index ${selector}` : `"${selector}"`}; the camera has ${profiles.map((x) => x.token).join(', ')}`, { code: 'ONVIF_PROFILE' });
      return p;
    },
    async streamUri(profileToken) {
      const r = await call<any>(label, 'GetStreamUri', o.timeoutMs, (cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken }, cb));
      if (!r?.uri || !/^rtsps?:\/\//.test(String(r.uri))) throw new OnvifError(label, 'GetStreamUri', 'malformed response: no RTSP URI', { code: 'ONVIF_MALFORMED' });
      return String(r.uri);
    },
    async snapshotUri(profileToken) {
      const r = await call<any>(label, 'GetSnapshotUri', o.timeoutMs, (cb) => cam.getSnapshotUri({ profileToken }, cb));
      if (!r?.uri) throw new OnvifError(label, 'GetSnapshotUri', 'malformed response: no URI', { code: 'ONVIF_MALFORMED' });
      return String(r.uri);
    },
    async createPullPoint() {
      const r = await call<any>(label, 'CreatePullPointSubscription', o.timeoutMs, (cb) => cam.createPullPointSubscription(cb));
      const address = r?.subscriptionReference?.address?.href;
      if (!address) throw new OnvifError(label, 'CreatePullPointSubscription', 'malformed response: no subscription address', { code: 'ONVIF_MALFORMED' });
      return { address: String(address), terminationAt: localTermination(r) };
    },
    async pullMessages(messageLimit = 20) {
      // the package asks the camera to hold the pull up to 1 minute and waits 80 s for it
      const r = await call<any>(label, 'PullMessages', 90_000, (cb) => cam.pullMessages({ messageLimit }, cb));
      return { notifications: parseNotifications(r?.notificationMessage), terminationAt: localTermination(r) };
    },
    async renew() {
      const r = await call<any>(label, 'Renew', o.timeoutMs, (cb) => cam.renew({}, cb));
      return localTermination(r);
    },
    async unsubscribe() {
      if (!cam.events?.subscription) return;
      await call<void>(label, 'Unsubscribe', o.timeoutMs, (cb) => cam.unsubscribe(cb, true));
    },
  };
}
