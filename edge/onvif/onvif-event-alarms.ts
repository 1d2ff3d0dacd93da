import { newAlarmId, type Severity } from '../../common/alarm.ts';
import { createEpisode, type Episode } from '../rules/episode.ts';
import type { Clock, TimerHandle } from '../../common/clock.ts';
import type { AnalyzerOutput } from '../types.ts';
import type { OnvifNotification } from './onvif-notification.ts';

export type OnvifEventType = 'motion' | 'tamper' | 'input';

export interface OnvifAlarmMapperOptions {
  /** camera id: the alarms' `camera` */
  camera: string;
  zone: string | null;
  clock: Clock;
  /** motion clears this long after the last "true", since many cameras never send "false" */
  motionHoldS: number;
  emit: (out: AnalyzerOutput) => void;
  severity?: Partial<Record<OnvifEventType, Severity>>;
}

export interface OnvifAlarmMapper {
  handle(n: OnvifNotification): void;
  /** clears every open alarm (shutdown) */
  flush(): void;
  readonly open: number;
}

const DEFAULT_SEVERITY: Record<OnvifEventType, Severity> = { motion: 'info', tamper: 'warning', input: 'warning' };

/** Which of our three sensor kinds a topic is, and the item that carries its state. */
export function classifyTopic(n: OnvifNotification): { type: OnvifEventType; state: boolean; sensorId: string } | null {
  const t = n.topic;
  const bool = (v: string | undefined) => (v === undefined ? null : /^(true|1|active)$/i.test(v) ? true : /^(false|0|inactive)$/i.test(v) ? false : null);
  let type: OnvifEventType | null = null;
  let state: boolean | null = null;
  if (/(^|\/)MotionAlarm$/.test(t) || /CellMotionDetector\/Motion$/.test(t)) {
    type = 'motion'; state = bool(n.data.State ?? n.data.IsMotion);
  } else if (/GlobalSceneChange|Tamper/i.test(t)) {
    type = 'tamper'; state = bool(n.data.State ?? n.data.IsTamper ?? n.data.Active);
  } else if (/Trigger\/DigitalInput$/.test(t) || /IO\/(Digital)?Input/.test(t)) {
    type = 'input'; state = bool(n.data.LogicalState ?? n.data.State ?? n.data.active);
  }
  if (!type || state === null) return null;
  const sensorId = type === 'input'
    ? (n.source.InputToken ?? n.source.port ?? n.source.Index ?? 'input')
    : (n.source.Source ?? n.source.VideoSourceConfigurationToken ?? n.source.VideoSourceToken ?? 'video');
  return { type, state, sensorId: sensorId.slice(0, 64) };
}

/** An open ONVIF event: its alarm episode (edge/rules/episode.ts), and motion's hold timer. */
interface OpenEvent { ep: Episode; sensorId: string; type: OnvifEventType; lastTrue: number; timer: TimerHandle | null; payload: Record<string, string> }

/**
 * Turns ONVIF notifications into `sensor.<type>` alarms: raised on true,
 * cleared on false, raised and cleared sharing one episode. Motion is
 * debounced with a hold timer on the injected clock.
 */
export function createOnvifAlarmMapper(opts: OnvifAlarmMapperOptions): OnvifAlarmMapper {
  const o = Object.freeze({ ...opts, severity: { ...DEFAULT_SEVERITY, ...opts.severity } });
  const open = new Map<string, OpenEvent>();
  const holdMs = Math.max(0, o.motionHoldS * 1000);

  const out = (ev: OpenEvent, episode: string, state: 'raised' | 'cleared', note: string) => {
    const now = o.clock.now();
    o.emit({
      alarm: {
        id: newAlarmId(now),
        kind: `sensor.${ev.type}`,
        state,
        severity: o.severity[ev.type],
        camera: o.camera,
        zone: o.zone,
        episode,
        capturedAt: new Date(now).toISOString(),
        mediaTime: null,
        message: note,
        sensor: { sensorId: ev.sensorId, type: ev.type, source: 'onvif', payload: ev.payload },
      },
    });
  };

  const clear = (key: string, note: string) => {
    const ev = open.get(key);
    if (!ev) return;
    ev.timer?.cancel();
    open.delete(key);
    const e = ev.ep.clearNow(o.clock.now() / 1000);
    if (e) out(ev, e.episode, 'cleared', note);
  };

  const armMotion = (key: string, ep: OpenEvent) => {
    ep.timer?.cancel();
    const due = Math.max(0, ep.lastTrue + holdMs - o.clock.now());
    ep.timer = o.clock.setTimeout(() => clear(key, `no motion for ${o.motionHoldS} s`), due);
  };

  return {
    get open() { return open.size; },
    handle(n) {
      const c = classifyTopic(n);
      if (!c) return;
      // motion is momentary: a stale "true" replayed at subscription time is not new motion
      if (c.type === 'motion' && n.operation === 'Initialized') return;
      const key = `${c.type}:${c.sensorId}`;
      const payload: Record<string, string> = { topic: n.topic, ...(n.operation ? { operation: n.operation } : {}), ...(n.utcTime ? { cameraTime: n.utcTime } : {}), ...n.source, ...n.data };
      const ep = open.get(key);
      if (c.state) {
        if (ep) {
          if (c.type === 'motion') { ep.lastTrue = o.clock.now(); armMotion(key, ep); }
          return;
        }
        const fresh: OpenEvent = { ep: createEpisode({ newEpisode: () => `ep-${newAlarmId(o.clock.now())}` }), sensorId: c.sensorId, type: c.type, lastTrue: o.clock.now(), timer: null, payload };
        open.set(key, fresh);
        out(fresh, fresh.ep.raiseNow(o.clock.now() / 1000)!.episode, 'raised', `${c.type} on ${c.sensorId}`);
        if (c.type === 'motion') armMotion(key, fresh);
        return;
      }
      if (!ep) return;
      if (c.type === 'motion') { armMotion(key, ep); return; } // the hold still runs from the last "true"
      ep.payload = payload;
      clear(key, `${c.type} on ${c.sensorId} ended`);
    },
    flush() {
      for (const key of [...open.keys()]) clear(key, 'shutdown');
    },
  };
}
