import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, validateManifest } from '../../server/src/runtimes/manifest.ts';

const shipped = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'manifest.json'), 'utf8')) as Record<string, Record<string, unknown>>;

function withFields(units: Record<string, unknown>, vocoder: Record<string, unknown>): unknown {
  return { ...shipped, units: { ...shipped['units'], ...units }, vocoder: { ...shipped['vocoder'], ...vocoder } };
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
