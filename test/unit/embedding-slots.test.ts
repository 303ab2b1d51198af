import { describe, expect, it } from 'vitest';
import { EmbeddingSlots } from '../../server/src/runtimes/embedding-slots.ts';

const row = (v: number, dim = 3) => new Float32Array(dim).fill(v);

describe('EmbeddingSlots: speech embeddings waiting for the LM under ids past the vocabulary', () => {
  it('hands out fresh ids past the vocabulary and gives each row back once', () => {
    const slots = new EmbeddingSlots(100, 3);
    const ids = slots.register([row(1), row(2)]);
    expect(ids).toEqual([100, 101]);
    expect(slots.isSlot(99)).toBe(false);
    expect(slots.isSlot(101)).toBe(true);
    expect(slots.size).toBe(2);
    expect(Array.from(slots.take(101)!)).toEqual([2, 2, 2]);
    expect(slots.take(101)).toBeUndefined();
    expect(slots.register([row(3)])).toEqual([102]);
    expect(slots.registered).toBe(3);
    expect(slots.size).toBe(2);
  });

  it('refuses rows of another width, and drops the oldest past its bound', () => {
    const slots = new EmbeddingSlots(10, 3, 2);
    expect(() => slots.register([row(1, 4)])).toThrow(/4 floats; the LM's dim is 3/);
    const [a, b, c] = slots.register([row(1), row(2), row(3)]);
    expect(slots.size).toBe(2);
    expect(slots.take(a!)).toBeUndefined();
    expect(slots.take(b!)?.[0]).toBe(2);
    expect(slots.take(c!)?.[0]).toBe(3);
  });
});
