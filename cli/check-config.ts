/** STUB: `vigil check-config` is not built yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('vigil check-config: not implemented yet\n');
  return 1;
}
