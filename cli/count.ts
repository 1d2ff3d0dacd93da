/** STUB: `vigil count` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil count: not implemented yet\n');
  return 1;
}
