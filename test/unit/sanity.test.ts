import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

describe('package', () => {
  it('declares the voxgate bin and Node 20 or newer', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      bin: Record<string, string>;
      engines: { node: string };
    };
    expect(pkg.bin['voxgate']).toBe('bin/voxgate.js');
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
});
