/** STUB: `vigil edge` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil edge: not implemented yet\n');
  return 1;
}
