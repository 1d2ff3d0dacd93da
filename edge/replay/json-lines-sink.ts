import type { Alarm } from '../../common/alarm.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import type { AlarmSink } from '../types.ts';
import { writeSnapshot } from './snapshot.ts';

export interface JsonLinesSinkOptions {
  /** where each alarm line goes; stdout by default */
  write?: (line: string) => void;
  /** `--snapshots DIR`: evidence JPEGs with the boxes drawn */
  snapshotsDir?: string;
  /** blur person boxes in snapshots (site.blurPersons) */
  blurPersons?: boolean;
  logger?: Logger;
  /** one line per alarm; JSON by default (`vigil replay` without --json prints a readable line) */
  format?: (alarm: Alarm) => string;
}

export interface JsonLinesSink extends AlarmSink {
  /** every alarm written, for the replay summary and scoring */
  readonly alarms: readonly Alarm[];
}

/** The replay sink: one JSON line per alarm on stdout, in the order alarms are raised. */
export function createJsonLinesSink(options: JsonLinesSinkOptions = {}): JsonLinesSink {
  const write = options.write ?? ((line: string) => { process.stdout.write(line + '\n'); });
  const log = options.logger ?? silentLogger;
  const alarms: Alarm[] = [];
  const format = options.format ?? ((a: Alarm) => JSON.stringify(a));
  let closed = false;
  return {
    alarms,
    async send(alarm, evidence) {
      if (closed) throw new Error('json-lines sink is closed');
      let out: Alarm = alarm;
      if (options.snapshotsDir && evidence) {
        try {
          const f = evidence.frame;
          const name = await writeSnapshot(options.snapshotsDir, alarm.id, f, { ...(evidence.draw ? { draw: evidence.draw } : {}), ...(options.blurPersons && evidence.persons ? { blur: evidence.persons } : {}) });
          out = { ...alarm, snapshot: { bucket: 'local', name, width: f.width, height: f.height, blurred: Boolean(options.blurPersons) } };
        } catch (err) {
          // The alarm matters more than its picture: it goes out without one.
          log.warn('cannot write snapshot', { id: alarm.id, err });
        }
      }
      alarms.push(out);
      write(format(out));
    },
    async close() { closed = true; },
  };
}
