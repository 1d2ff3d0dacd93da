import { parseCli } from './args.ts';
import { loadEdgeConfig } from '../common/config/edge.ts';
import { createLogger } from '../common/log.ts';
import { startEdgeNode } from '../edge/edge-node.ts';
import { ValidationError } from '../common/errors.ts';
import { untilSignal } from './signals.ts';

/** `vigil edge --config edge.yaml`: a production edge node; JSON-lines logs on stderr. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { config: { type: 'string', short: 'c' } }, false);
  if (!values.config) throw new ValidationError('--config', 'is required: vigil edge --config edge.yaml');
  const loaded = loadEdgeConfig(values.config);
  const logger = createLogger({ name: 'vigil-edge' });
  const node = await startEdgeNode(loaded, logger);
  logger.info('edge started', { edge: node.id, http: node.httpPort });
  const signal = await untilSignal();
  logger.info('edge shutting down', { signal });
  await node.stop();
  return 0;
}
