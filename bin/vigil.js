#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx vigil` works
// right after `npm ci` with no build step; worker threads get the same loader
// through common/worker.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2));
// A finished command exits even if a library left a handle open; stdout is
// flushed first so that a piped JSON summary is never cut short.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
