/** STUB: `vigil fixtures` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil fixtures: not implemented yet\n');
  return 1;
}
