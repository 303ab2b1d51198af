import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, validateManifest } from '../../server/src/runtimes/manifest.ts';

const shipped = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'manifest.json'), 'utf8')) as Record<string, Record<string, unknown>>;

/** The shipped manifest with other unit fields, its answer-unit pieces left out (they name unit numbers of their own). */
function withFields(units: Record<string, unknown>, vocoder: Record<string, unknown>): unknown {
  return { ...shipped, units: { ...shipped['units'], ...units }, lm: { ...shipped['lm'], spokenPieces: undefined }, vocoder: { ...shipped['vocoder'], ...vocoder } };
}

describe('manifest: heard and spoken unit numbering', () => {
  it('defaults to one unit vocabulary: heard units are tokens 0.., the vocoder speaks units.count of them', () => {
    const m = validateManifest(withFields({ tokenOffset: undefined }, { unitCount: undefined }));
    expect(m.units.tokenOffset).toBe(0);
    expect(m.vocoder.unitCount).toBe(m.units.count);
  });

  it('reads heard units numbered after the vocoder units', () => {
    const m = validateManifest(withFields({ count: 128, tokenOffset: 128 }, { unitCount: 128 }));
    expect(m.units.tokenOffset).toBe(128);
    expect(m.vocoder.unitCount).toBe(128);
  });

  it('rejects heard units that would share tokens with spoken ones, naming the field', () => {
    expect(() => validateManifest(withFields({ tokenOffset: 64 }, { unitCount: 128 }), 'm.json')).toThrow(/m\.json: units\.tokenOffset: must be 0 or at least vocoder\.unitCount \(128\)/);
    expect(() => validateManifest(withFields({ tokenOffset: -1 }, {}), 'm.json')).toThrow(/units\.tokenOffset: must be an integer >= 0/);
    expect(() => validateManifest(withFields({}, { unitCount: 1 }), 'm.json')).toThrow(/vocoder\.unitCount: must be an integer >= 2/);
  });
});

describe('manifest: earlier turns the model reads', () => {
  const withLm = (lm: Record<string, unknown>): unknown => ({ ...shipped, lm: { ...shipped['lm'], ...lm } });

  it('reads lm.earlierTurns, and leaves it unset when absent (as many as the context holds)', () => {
    expect(validateManifest(withLm({ earlierTurns: 2 })).lm.earlierTurns).toBe(2);
    expect(validateManifest(withLm({ earlierTurns: 0 })).lm.earlierTurns).toBe(0);
    expect(validateManifest(withLm({ earlierTurns: undefined })).lm.earlierTurns).toBeUndefined();
  });

  it('rejects a negative or fractional count, naming the field', () => {
    expect(() => validateManifest(withLm({ earlierTurns: -1 }), 'm.json')).toThrow(/m\.json: lm\.earlierTurns: must be an integer >= 0/);
    expect(() => validateManifest(withLm({ earlierTurns: 1.5 }), 'm.json')).toThrow(/lm\.earlierTurns: must be an integer >= 0/);
  });
});

describe('manifest: answer-unit pieces', () => {
  const withPieces = (spokenPieces: unknown, units: Record<string, unknown> = {}): unknown =>
    ({ ...shipped, units: { ...shipped['units'], count: 70, tokenOffset: 128, ...units }, lm: { ...shipped['lm'], spokenPieces }, vocoder: { ...shipped['vocoder'], unitCount: 128 } });

  it('reads pieces numbered after the heard units, each a run of spoken units', () => {
    const m = validateManifest(withPieces({ firstUnit: 198, units: [[3, 4], [0, 127, 5]] }));
    expect(m.lm.spokenPieces).toEqual({ firstUnit: 198, units: [[3, 4], [0, 127, 5]] });
    expect(validateManifest(withPieces(undefined)).lm.spokenPieces).toBeUndefined();
  });

  it('rejects pieces that would share tokens with units, or stand for no run of spoken units, naming the field', () => {
    expect(() => validateManifest(withPieces({ firstUnit: 197, units: [[1, 2]] }), 'm.json')).toThrow(/m\.json: lm\.spokenPieces\.firstUnit: must be an integer >= 198/);
    expect(() => validateManifest(withPieces({ firstUnit: 198, units: [] }), 'm.json')).toThrow(/lm\.spokenPieces\.units: must be an array of 1 to 65536 pieces/);
    expect(() => validateManifest(withPieces({ firstUnit: 198, units: [[1, 2], [5]] }), 'm.json')).toThrow(/lm\.spokenPieces\.units\[1\]: must list 2 to 1024 spoken units, each an integer in \[0, 128\)/);
    expect(() => validateManifest(withPieces({ firstUnit: 198, units: [[1, 128]] }), 'm.json')).toThrow(/lm\.spokenPieces\.units\[0\]/);
    expect(() => validateManifest(withPieces({ firstUnit: 198, units: [[1, 2.5]] }), 'm.json')).toThrow(/lm\.spokenPieces\.units\[0\]/);
    expect(() => validateManifest(withPieces([[1, 2]]), 'm.json')).toThrow(/lm\.spokenPieces: must be an object/);
  });
});
