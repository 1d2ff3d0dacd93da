import { errorMessage, VigilError } from '../common/errors.ts';

/**
 * `vigil <command>`: the CLI contract in shared/DESIGN.md. Each command lives
 * in its own module and is imported only when it runs, so that `vigil count`
 * does not load the hub and `vigil hub` does not load TensorFlow.
 */
type Command = { describe: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

export const COMMANDS: Record<string, Command> = {
  demo: { describe: 'run NATS, hub, a simulated ONVIF camera, an edge and the dashboard locally', load: () => import('./demo.ts') },
  count: { describe: 'count persons in still images', load: () => import('./count.ts') },
  replay: { describe: 'run the edge pipeline on recorded footage', load: () => import('./replay.ts') },
  edge: { describe: 'run an edge node', load: () => import('./edge.ts') },
  hub: { describe: 'run the hub', load: () => import('./hub.ts') },
  bench: { describe: 'run the benchmark suite', load: () => import('./bench.ts') },
  eval: { describe: 'score the abandoned-object analyzer per clip against truth (eval abandoned)', load: () => import('./eval.ts') },
  'check-config': { describe: 'validate a config file', load: () => import('./check-config.ts') },
  export: { describe: "export an incident's full record (incident, alarms, dispatches, reports, audit) as JSON", load: () => import('./export.ts') },
  fixtures: { describe: 'fetch vtest.avi and build the fixture clips', load: () => import('./fixtures.ts') },
  train: { describe: 'train the crowd-density head on annotated head points', load: () => import('./train.ts') },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)} ${c.describe}`);
  return `usage: vigil <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`vigil: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    // Errors reaching here are expected failures (bad input); print them plainly.
    const code = err instanceof VigilError ? ` [${err.code}]` : '';
    process.stderr.write(`vigil ${name}: ${errorMessage(err)}${code}\n`);
    if (process.env.VIGIL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
