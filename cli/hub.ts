/** STUB: `vigil hub` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil hub: not implemented yet\n');
  return 1;
}
