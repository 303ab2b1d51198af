import { describe, expect, it } from 'vitest';
import { KvCache } from '../../server/src/runtimes/kv-cache.ts';

/** Rows whose every float is its position's id (keys) or minus it (values), so moves are visible. */
function rows(ids: number[], dim: number, sign = 1): Float32Array {
  return Float32Array.from(ids.flatMap((id) => Array.from({ length: dim }, () => sign * id)));
}

function append(cache: KvCache, ids: number[]): void {
  const k = Array.from({ length: cache.layers }, (_, l) => rows(ids.map((i) => i + 1000 * l), cache.dim));
  const v = Array.from({ length: cache.layers }, (_, l) => rows(ids.map((i) => i + 1000 * l), cache.dim, -1));
  cache.append(ids.length, k, v);
}

/** Position ids held in layer `layer`'s keys, one per row. */
function held(cache: KvCache, layer: number): number[] {
  const keys = cache.keysOf(layer);
  return Array.from({ length: cache.length }, (_, r) => keys[r * cache.dim]! - 1000 * layer);
}

describe('KvCache: one sequence\'s keys and values', () => {
  it('appends in order across growth, and hands out exactly the held prefix', () => {
    const cache = new KvCache(2, 3, 1000);
    append(cache, [0, 1, 2]);
    append(cache, Array.from({ length: 400 }, (_, i) => 3 + i));
    expect(cache.length).toBe(403);
    expect(held(cache, 0)).toEqual(Array.from({ length: 403 }, (_, i) => i));
    expect(held(cache, 1)).toEqual(Array.from({ length: 403 }, (_, i) => i));
    expect(cache.keysOf(1).length).toBe(403 * 3);
    expect(cache.valuesOf(0)[3 * 402]).toBe(-402);
  });

  it('erases a middle range: later rows move down, in every layer, keys and values alike', () => {
    const cache = new KvCache(2, 2, 64);
    append(cache, [0, 1, 2, 3, 4, 5]);
    cache.erase(1, 3);
    expect(held(cache, 0)).toEqual([0, 3, 4, 5]);
    expect(held(cache, 1)).toEqual([0, 3, 4, 5]);
    expect(Array.from(cache.valuesOf(0))).toEqual([-0, -0, -3, -3, -4, -4, -5, -5]);
    append(cache, [6]);
    expect(held(cache, 0)).toEqual([0, 3, 4, 5, 6]);
    cache.erase(0, 5);
    expect(cache.length).toBe(0);
  });

  it('refuses rows past its limit, malformed rows and ranges outside what it holds', () => {
    const cache = new KvCache(1, 2, 4);
    append(cache, [0, 1, 2]);
    expect(() => append(cache, [3, 4])).toThrow(RangeError);
    expect(() => cache.append(1, [new Float32Array(3)], [new Float32Array(2)])).toThrow(/expected 2 floats/);
    expect(() => cache.append(1, [], [])).toThrow(/1 layers/);
    expect(() => cache.erase(2, 4)).toThrow(/\[2, 4\) of 3/);
    expect(cache.length).toBe(3);
    cache.clear();
    expect(cache.length).toBe(0);
    expect(cache.keysOf(0).length).toBe(0);
  });
});
