import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The hub API on Deno (the npm `deno` package ships the binary): the same app, routed, authenticated and validated. */
const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('hub API on Deno', () => {
  it('serves health, login, auth, validation, OpenAPI, CORS and secure headers', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/deno'), ['run', '--allow-read', '--allow-env', '--allow-sys', 'test/hub/api/deno-smoke.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const checks = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(checks.runtime).toMatch(/^deno \d/);
    expect(checks).toMatchObject({ health: 200, noToken: 401, login: 200, alarms: 200, alarmsBody: { alarms: [] }, badBody: 400, badBodyField: 'to', openapi: 200, corsEchoed: null, secureHeaders: 'nosniff', me: 200, logout: 200, afterLogout: 401 });
    expect(checks.openapiPaths as number).toBeGreaterThan(20);
  }, 150_000);
});
