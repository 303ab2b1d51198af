import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, loadManifest, validateManifest } from '../../server/src/runtimes/manifest.ts';

const shipped = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'manifest.json'), 'utf8')) as Record<string, Record<string, unknown>>;

function withLm(lm: Record<string, unknown>): unknown {
  return { ...shipped, lm: { ...shipped['lm'], ...lm } };
}

const ONNX = { file: 'lm.onnx', runtime: 'onnx', embeddings: 'lm-embeddings.bin', tokens: 'lm-tokens.json' };

describe('manifest: which runtime runs the LM', () => {
  it('defaults to node-llama-cpp on a GGUF', () => {
    const m = validateManifest(withLm({ runtime: undefined }));
    expect(m.lm.runtime).toBe('gguf');
    expect(m.lm.embeddings).toBeUndefined();
  });

  it('reads an ONNX LM with its embedding table and token list', () => {
    const m = validateManifest(withLm(ONNX));
    expect(m.lm).toMatchObject(ONNX);
  });

  it('rejects a half-declared or mismatched LM, naming file and field', () => {
    expect(() => validateManifest(withLm({ ...ONNX, runtime: 'torch' }), 'm.json')).toThrow(/m\.json: lm\.runtime: must be one of gguf, onnx/);
    expect(() => validateManifest(withLm({ ...ONNX, embeddings: undefined }), 'm.json')).toThrow(/m\.json: lm\.embeddings: must be a non-empty string/);
    expect(() => validateManifest(withLm({ ...ONNX, tokens: '' }), 'm.json')).toThrow(/m\.json: lm\.tokens: must be a non-empty string/);
    expect(() => validateManifest(withLm({ ...ONNX, file: 'lm.gguf' }), 'm.json')).toThrow(/m\.json: lm\.file: runtime "onnx" runs an \.onnx graph/);
    expect(() => validateManifest(withLm({ file: 'lm.onnx' }), 'm.json')).toThrow(/m\.json: lm\.runtime: lm\.file names an ONNX graph/);
    expect(() => validateManifest(withLm({ tokens: 'lm-tokens.json' }), 'm.json')).toThrow(/m\.json: lm\.tokens: belongs to runtime "onnx" only/);
  });

  it('reads an embedding-input LM (LLaSM) with its speech part, and refuses one that cannot be served', () => {
    const speech = { file: 'speech.onnx', frameMs: 40, hopSamples: 640, leftContextSamples: 6960 };
    const llasm = (lm: Record<string, unknown>, sp: unknown = speech) => ({ ...(withLm({ ...ONNX, ...lm }) as object), speech: sp });
    const m = validateManifest(llasm({ inputKind: 'embeddings' }));
    expect(m.lm.inputKind).toBe('embeddings');
    expect(m.speech).toEqual(speech);
    expect(validateManifest(withLm(ONNX)).lm.inputKind).toBe('units');
    expect(() => validateManifest(llasm({ inputKind: 'embeddings', runtime: 'gguf', file: 'lm.gguf', embeddings: undefined, tokens: undefined }), 'm.json')).toThrow(/m\.json: lm\.inputKind: "embeddings" needs "runtime": "onnx"/);
    expect(() => validateManifest(llasm({ inputKind: 'features' }), 'm.json')).toThrow(/m\.json: lm\.inputKind: must be one of units, embeddings/);
    expect(() => validateManifest(llasm({ inputKind: 'embeddings' }, null), 'm.json')).toThrow(/m\.json: speech: must be an object/);
    expect(() => validateManifest(llasm({ inputKind: 'embeddings' }, { ...speech, frameMs: 20 }), 'm.json')).toThrow(/m\.json: speech\.frameMs: must equal hopSamples/);
    expect(() => validateManifest(llasm({}), 'm.json')).toThrow(/m\.json: speech: is read only with "lm\.inputKind": "embeddings"/);
  });

  it('names a missing embedding table when the folder is loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxgate-manifest-'));
    try {
      for (const f of ['units.onnx', 'vocoder.onnx']) copyFileSync(join(DEFAULT_MODEL_DIR, f), join(dir, f));
      writeFileSync(join(dir, 'lm.onnx'), '');
      writeFileSync(join(dir, 'lm-tokens.json'), '[]');
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(withLm(ONNX)));
      expect(() => loadManifest(dir)).toThrow(/manifest\.json: lm\.embeddings: names .*lm-embeddings\.bin, which does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
