import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const NODE_BUILTINS = new Set(['fs', 'path', 'crypto', 'os', 'net', 'http', 'child_process', 'url', 'stream', 'buffer', 'util', 'events', 'worker_threads']);
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'pg', 'prom-client', '@hono/node-server', '@nats-io/transport-node'];

/**
 * Every module reachable by value imports (type-only imports vanish at run time)
 * from the API that createHubApp mounts, routes/index.ts included. The Node-only
 * routes (live, replay, dashboard) are mounted by hub-node from hub/node-routes.ts.
 */
const CORE = ['app.ts', 'auth.ts', 'deps.ts', 'validate.ts', 'openapi.ts', 'roles.ts', 'stream-filter.ts', 'routes/index.ts'];
const SKIP = new Set<string>();

function reachable(entries: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop()!;
    if (out.has(file) || SKIP.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specs: string[] = [];
    for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) specs.push(m[2]!);
    for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
    out.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) todo.push(path.resolve(path.dirname(file), s));
  }
  return out;
}

describe('hub/api runs on any runtime (Deno too)', () => {
  it('reaches no node: module and no Node-only package from the core API modules', () => {
    const bad: string[] = [];
    for (const [file, specs] of reachable(CORE.map((f) => path.join(ROOT, 'hub/api', f)))) {
      for (const s of specs) {
        if (s.startsWith('node:') || NODE_BUILTINS.has(s) || NODE_ONLY_PACKAGES.includes(s)) bad.push(`${path.relative(ROOT, file)} imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
