#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx vigil` works
// right after `npm ci` with no build step; worker threads get the same loader
// through common/worker.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
