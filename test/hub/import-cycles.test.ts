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

/** Every relative import of a module, type-only ones and declaration merging included: a cycle of types still ties two modules together. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) specs.add(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) specs.add(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/declare\s+module\s+['"](\.[^'"]+)['"]/g)) specs.add(m[1]!);
  return [...specs].map((s) => path.resolve(path.dirname(file), s));
}

/** Strongly connected components of more than one module, or a module that imports itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
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
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('hub/ module graph', () => {
  it('has no import cycle (type-only imports and declaration merging included)', () => {
    const graph = new Map(sources(HUB).map((f) => [f, importsOf(f).filter((t) => t.startsWith(HUB))]));
    expect(cycles(graph).map((c) => c.map((f) => path.relative(ROOT, f)))).toEqual([]);
  });

  it('finds cycles when there are some: the detector itself is checked', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']], ['e', ['a']]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });
});

describe('one role matrix', () => {
  it('every API route checks a permission of ROLE_MATRIX (no role lists written into routes)', () => {
    const routeFiles = [...sources(path.join(HUB, 'api/routes')), path.join(HUB, 'dashboard/serve.ts')];
    const inline = routeFiles.filter((f) => /requireRole\s*\(/.test(readFileSync(f, 'utf8')));
    expect(inline.map((f) => path.relative(ROOT, f))).toEqual([]);
    // Each route under /api is mounted through route() with a permission of ROLE_MATRIX (route-spec.ts enforces it); login and health are public.
    const unchecked: string[] = [];
    let seen = 0;
    for (const f of routeFiles) {
      const text = readFileSync(f, 'utf8');
      if (/app\.(get|post|put|patch|delete|on)\(/.test(text)) unchecked.push(`${path.relative(ROOT, f)} mounts a route without route()`);
      for (const m of text.matchAll(/route\(app, \{\s*method: '(\w+)', path: [`'"](\/api\/[^`'"]*)[`'"], access: ([^,]+),/g)) {
        const [, method, route, access] = m;
        seen++;
        // Public (login, health; a refresh token is its own credential), or any login's own session (me, logout, stream ticket).
        if (['/api/login', '/api/token/refresh', '/api/health', '/api/me', '/api/logout', '/api/stream/ticket', '/api/openapi.json', '/api/sites'].includes(route!)) continue;
        if (!/^(\{ permission: '[a-z.]+' \}|read|video|command|engineer)$/.test(access!.trim())) unchecked.push(`${method} ${route} (${path.relative(ROOT, f)})`);
      }
    }
    expect(seen).toBeGreaterThan(55);
    expect(unchecked).toEqual([]);
  });
});
