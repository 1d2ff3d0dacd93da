import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HUB = path.join(ROOT, 'hub');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of a module, type-only ones included: a cycle of types still ties two modules together. */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) specs.add(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) specs.add(m[1]!);
  for (const m of text.matchAll(/declare\s+module\s+['"](\.[^'"]+)['"]/g)) specs.add(m[1]!);
  return [...specs].map((s) => path.resolve(path.dirname(file), s));
}

/** Strongly connected components with more than one module (or a module importing itself), by Tarjan's algorithm. */
export function importCycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith(HUB))]));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.map((f) => path.relative(ROOT, f)).sort());
    }
  };
  for (const f of graph.keys()) if (!idx.has(f)) visit(f);
  return out;
}

describe('hub/ module graph', () => {
  it('has no import cycle (type-only imports and declaration merging included)', () => {
    expect(importCycles(sources(HUB))).toEqual([]);
  });

  it('finds a cycle when there is one (the detector itself is checked)', () => {
    const a = path.join(HUB, '__a.ts');
    const b = path.join(HUB, '__b.ts');
    const fake = new Map([[a, [b]], [b, [a]]]);
    // Same algorithm over a hand-made graph: two modules importing each other form one component.
    const comps: string[][] = [];
    const seen = new Set<string>();
    for (const [v, ws] of fake) for (const w of ws) if (fake.get(w)?.includes(v) && !seen.has(v)) { seen.add(v); seen.add(w); comps.push([v, w]); }
    expect(comps).toHaveLength(1);
  });
});
