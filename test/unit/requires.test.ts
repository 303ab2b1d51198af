// The skip rule itself: a missing real dependency skips locally and fails under CI=true, never silently.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const HELPER = resolve('test/helpers/requires.ts');

function runWith(ci: boolean): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-requires-'));
  const file = join(dir, 'missing.test.ts');
  const source = [
    `import { expect, it } from 'vitest';`,
    `import { describeIf } from ${JSON.stringify(HELPER)};`,
    `describeIf(false, 'a tool nobody has')('needs a tool', () => { it('works', () => expect(1).toBe(1)); });`,
  ];
  writeFileSync(file, source.join('\n') + '\n');
  const env = { ...process.env };
  if (ci) env['CI'] = 'true';
  else delete env['CI'];
  try {
    const r = spawnSync(process.execPath, [resolve('node_modules/vitest/vitest.mjs'), 'run', '--root', dir, file], { env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('describeIf', () => {
  it('skips a block whose dependency is missing outside CI, and fails it under CI=true naming the dependency', () => {
    const local = runWith(false);
    expect(local.status).toBe(0);
    expect(local.out).toMatch(/skipped/);
    const ci = runWith(true);
    expect(ci.status).not.toBe(0);
    expect(ci.out).toMatch(/a tool nobody has/);
  }, 120_000);
});
