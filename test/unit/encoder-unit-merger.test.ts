import { describe, expect, it } from 'vitest';
import { UnitMerger } from '../../server/src/pipeline/unit-merger.ts';

describe('UnitMerger', () => {
  it('merges consecutive repeats', () => {
    expect(new UnitMerger().push([5, 5, 5, 9, 9, 2])).toEqual([5, 9, 2]);
  });

  it('merges across window boundaries as if the windows were one stream', () => {
    const stream = [1, 1, 2, 2, 2, 3, 3, 1, 1, 1, 4];
    const whole = new UnitMerger().push(stream);
    for (let cut = 0; cut <= stream.length; cut++) {
      const m = new UnitMerger();
      expect([...m.push(stream.slice(0, cut)), ...m.push([]), ...m.push(stream.slice(cut))]).toEqual(whole);
    }
  });

  it('accepts int64 tensors as bigint arrays', () => {
    expect(new UnitMerger().push(BigInt64Array.from([7n, 7n, 8n]))).toEqual([7, 8]);
  });

  it('starts fresh after flush and passes repeats through when merging is off', () => {
    const m = new UnitMerger();
    m.push([3]);
    expect(m.flush()).toEqual([]);
    expect(m.push([3, 3])).toEqual([3]);
    expect(new UnitMerger(false).push([3, 3])).toEqual([3, 3]);
  });
});
