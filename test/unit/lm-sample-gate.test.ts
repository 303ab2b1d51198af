// The sampling gate on a fake native context (named as such: it records which samplings have started and lets the
// test finish them). The real model's batched output against its solo output is test/integration/lm-batch-invariance.
import { describe, expect, it } from 'vitest';
import type { LlamaContext } from 'node-llama-cpp';
import { BatchOrderWatch, gateSampling } from '../../server/src/runtimes/lm-sample-gate.ts';

describe('BatchOrderWatch', () => {
  it('keeps a batch of single-token steps in ascending sequence order free of reordering', () => {
    const w = new BatchOrderWatch();
    w.add(0, 1, 1);
    w.add(2, 1, 1);
    w.add(5, 48, 0); // a prompt piece without logits gives no output to misplace
    w.add(7, 1, 1);
    expect(w.reorders).toBe(false);
  });

  it('marks a batch whose sequences are not ascending', () => {
    const w = new BatchOrderWatch();
    w.add(3, 1, 1);
    w.add(1, 1, 1);
    expect(w.reorders).toBe(true);
  });

  it('marks a batch holding an item of several tokens that asks for logits', () => {
    const w = new BatchOrderWatch();
    w.add(1, 20, 1);
    w.add(2, 1, 1);
    expect(w.reorders).toBe(true);
  });

  it('starts each batch afresh', () => {
    const w = new BatchOrderWatch();
    w.add(4, 1, 1);
    w.add(2, 1, 1);
    w.reset();
    w.add(2, 1, 1);
    expect(w.reorders).toBe(false);
  });
});

/** A fake native context: samplings stay pending until the test finishes them, in any order. */
class FakeNative {
  readonly started: number[] = [];
  private readonly finishers = new Map<number, () => void>();
  initBatch(): void {}
  addToBatch(): Uint32Array {
    return new Uint32Array(1);
  }
  decodeBatch(): Promise<void> {
    return Promise.resolve();
  }
  sampleToken(index: number): Promise<number> {
    this.started.push(index);
    return new Promise((resolve) => this.finishers.set(index, () => resolve(index)));
  }
  finish(index: number): void {
    this.finishers.get(index)?.();
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function batch(native: FakeNative, items: [sequenceId: number, tokens: number, logits: number][]): Promise<Promise<number>[]> {
  const ctx = native as unknown as { initBatch(n: number): void; addToBatch(...a: unknown[]): unknown; decodeBatch(): Promise<void>; sampleToken(i: number, s: unknown): Promise<number> };
  ctx.initBatch(items.length);
  for (const [id, tokens, logits] of items) ctx.addToBatch(id, 0, new Uint32Array(tokens), new Uint32Array(logits));
  await ctx.decodeBatch();
  return items.map((_, i) => ctx.sampleToken(i, {}));
}

describe('gateSampling', () => {
  it('starts every sampling of an ordered batch at once', async () => {
    const native = new FakeNative();
    expect(gateSampling({ _ctx: native } as unknown as LlamaContext)).not.toBeNull();
    const samples = await batch(native, [
      [0, 1, 1],
      [1, 1, 1],
      [4, 1, 1],
    ]);
    await settle();
    expect(native.started).toEqual([0, 1, 2]);
    for (const i of [2, 0, 1]) native.finish(i);
    expect(await Promise.all(samples)).toEqual([0, 1, 2]);
  });

  it('lets the first sampling of a batch that may reorder run alone, then the rest', async () => {
    const native = new FakeNative();
    gateSampling({ _ctx: native } as unknown as LlamaContext);
    const samples = await batch(native, [
      [3, 1, 1],
      [1, 1, 1],
      [2, 1, 1],
    ]);
    await settle();
    expect(native.started).toEqual([0]);
    native.finish(0);
    await settle();
    expect(native.started).toEqual([0, 1, 2]);
    native.finish(1);
    native.finish(2);
    expect(await Promise.all(samples)).toEqual([0, 1, 2]);
  });

  it('says so where the native handle lacks a method it wraps', () => {
    const partial = { decodeBatch: () => Promise.resolve(), sampleToken: () => Promise.resolve(0) };
    expect(gateSampling({ _ctx: partial } as unknown as LlamaContext)).toBeNull();
  });
});
