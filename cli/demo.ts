/** STUB: `vigil demo` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil demo: not implemented yet\n');
  return 1;
}
