// Tests on real components (the model, espeak-ng, torch, Chromium) run where those are present. Elsewhere they
// are skipped, except under CI=true: there a missing dependency is a failure, so CI can never pass having tested
// less than it claims.
import { describe, it } from 'vitest';

export const IN_CI = process.env['CI'] === 'true';

/** `describe` when `ready`; otherwise a skipped block, or under CI a block whose one test fails naming `needs`. */
export function describeIf(ready: boolean, needs: string): typeof describe | ((name: string, fn: () => void) => void) {
  if (ready) return describe;
  if (!IN_CI) return describe.skip;
  return (name: string) =>
    describe(name, () => {
      it(`has its real dependency: ${needs}`, () => {
        throw new Error(`CI=true and a real dependency is missing: ${needs}`);
      });
    });
}

/** `it` when `ready`; otherwise skipped, or under CI a failing test naming `needs`. */
export function itIf(ready: boolean, needs: string): typeof it | ((name: string, fn: () => unknown, timeoutMs?: number) => void) {
  if (ready) return it;
  if (!IN_CI) return it.skip;
  return (name: string) =>
    it(name, () => {
      throw new Error(`CI=true and a real dependency is missing: ${needs}`);
    });
}
