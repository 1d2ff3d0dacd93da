// A stand-in for `node bin/vigil.js replay <file> --json [--truth T] --snapshots DIR`:
// it prints what the real CLI prints, quickly, so that the hub side is tested
// without running the detector. FAKE_REPLAY_FAIL=1 makes it fail like a bad clip.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
if (args[0] !== 'replay' || !args.includes('--json')) { process.stderr.write(`bad args: ${args.join(' ')}\n`); process.exit(2); }
const file = args[1];
if (process.env.FAKE_REPLAY_FAIL === '1') { process.stderr.write(`${file}: cannot decode\n`); process.exit(1); }
// FAKE_REPLAY_SLOW_MS keeps a run busy, so that others queue behind it.
if (process.env.FAKE_REPLAY_SLOW_MS) await new Promise((r) => setTimeout(r, Number(process.env.FAKE_REPLAY_SLOW_MS)));
const snapshots = args[args.indexOf('--snapshots') + 1];
const id = `000000001-${path.basename(file).replace(/\W/g, '')}`;
const snap = path.join(snapshots, `${id}.jpg`);
// A real 8×8 grey JPEG, so that the browser shows it.
writeFileSync(snap, Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAAIAAgBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==', 'base64'));
const base = { v: 1, site: 'replay', camera: 'cam', zone: null, edge: 'replay', capturedAt: new Date().toISOString(), episode: 'ep1' };
const lines = [
  { ...base, id, kind: 'object.abandoned', state: 'raised', severity: 'warning', mediaTime: 16.5, object: { bbox: [150, 390, 186, 432], class: 'backpack', dwellSeconds: 10, confidence: 0.6, objectId: 'o1' }, snapshot: { bucket: 'local', name: snap, width: 768, height: 576, blurred: false } },
  { ...base, id: `${id}-c`, kind: 'object.abandoned', state: 'cleared', severity: 'warning', mediaTime: 30, object: { bbox: [150, 390, 186, 432], class: 'backpack', dwellSeconds: 24, confidence: 0.6, objectId: 'o1' } },
];
for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
const truncated = process.env.FAKE_REPLAY_TRUNCATED === '1' ? { truncated: { decodedS: 12, declaredS: 32 }, warnings: [`${file}: the video ended at 12 s of the 32 s its header declares; the file looks truncated`] } : {};
process.stdout.write(JSON.stringify({ summary: { ...truncated, video: file, durationS: 32, frames: 64, alarms: { total: 2, byKind: { 'object.abandoned': 2 } }, abandoned: { truePositives: args.includes('--truth') ? 1 : 0, falsePositives: 0, falseNegatives: 0, meanDelaySeconds: 10.5, dwellS: 10 } } }) + '\n');
if (process.env.FAKE_REPLAY_TRUNCATED === '1') { process.stderr.write('vigil replay: warning: truncated\n'); process.exit(3); }
