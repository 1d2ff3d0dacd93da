/** STUB: `vigil replay` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil replay: not implemented yet\n');
  return 1;
}
