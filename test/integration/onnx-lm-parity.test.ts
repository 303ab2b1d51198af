// The ONNX LM runtime on the real onnxruntime session must equal torch token for token: proof that lm.onnx, its
// embedding table and the runtime's key/value cache (kept across calls, erased from the middle, fed embeddings
// directly) compute the model that was trained. The smoke build writes the model and torch's reference.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeIf } from '../helpers/requires.ts';
import { deriveOnnxLmFolder } from '../helpers/onnx-lm-folder.ts';
import { pythonHasTorch } from '../helpers/random-lm.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';
import { divergence, type ParityExpectation } from '../helpers/parity.ts';
import { OnnxLmRuntime, type OnnxLmSequence } from '../../server/src/runtimes/onnx-lm.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';

const SMOKE_ONNX = new URL('../../test-output/voxgate-smoke-onnx', import.meta.url).pathname;
const smokeReady = existsSync(join(SMOKE_ONNX, 'parity.json')) && existsSync(join(SMOKE_ONNX, 'manifest.json'));
const shippedReady = existsSync(join(DEFAULT_MODEL_DIR, 'lm.gguf')) && pythonHasTorch();

type Step = { tokens: number[] } | { embeddings: number[][] } | { erase: [number, number] };
interface OnnxParityCase extends ParityExpectation {
  steps: Step[];
}
interface OnnxParityFile {
  lm: string;
  eosId: number;
  maxNew: number;
  cases: OnnxParityCase[];
}

/** f32 on both sides: only a gap this small may be decided differently by summation order. */
const TIE_MARGIN = 1e-4;

async function open(dir: string, sequences: number, contextTokens: number): Promise<OnnxLmRuntime> {
  const m = loadManifest(dir);
  return OnnxLmRuntime.open(m.paths.lm, {
    sequences,
    contextTokens,
    embeddingsPath: m.paths.lmEmbeddings!,
    tokensPath: m.paths.lmTokens!,
    unitToken: m.lm.unitToken,
    eosToken: m.lm.markers.endOfAnswer,
  });
}

async function collect(tokens: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of tokens) out.push(t);
  return out;
}

/** The prompt of a case that is one token step. */
function promptOf(c: OnnxParityCase): number[] | undefined {
  const only = c.steps.length === 1 ? c.steps[0] : undefined;
  return only && 'tokens' in only ? only.tokens : undefined;
}

/** Runs a case's steps into `seq` as torch did; returns the greedy continuation. */
async function runCase(lm: OnnxLmRuntime, seq: OnnxLmSequence, c: OnnxParityCase, maxNew: number): Promise<number[]> {
  const last = c.steps.at(-1);
  if (!last || !('tokens' in last)) throw new Error(`case ${c.name}: the last step must be tokens`);
  for (const step of c.steps.slice(0, -1)) {
    if ('tokens' in step) await lm.prefill(seq, step.tokens);
    else if ('embeddings' in step) await lm.prefillEmbeddings(seq, Float32Array.from(step.embeddings.flat()));
    else await seq.erase(step.erase[0], step.erase[1]);
  }
  return collect(lm.greedy(seq, last.tokens, maxNew));
}

/** The runtime's checks against torch's reference in `folder()`'s parity.json. */
function parityTests(label: string, folder: () => string): void {
  let parity: OnnxParityFile;
  let lm: OnnxLmRuntime;
  beforeAll(async () => {
    parity = JSON.parse(readFileSync(join(folder(), 'parity.json'), 'utf8')) as OnnxParityFile;
    lm = await open(folder(), 2, 512);
  });
  afterAll(async () => {
    await lm?.close();
  });

  it('every case (tokens, turns over several calls, embeddings, erased positions) equals torch token for token', async () => {
    expect(lm.eosId).toBe(parity.eosId);
    expect(parity.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['embeddings', 'after-erase', 'turns-in-three-calls']));
    let tokens = 0;
    const start = performance.now();
    for (const c of parity.cases) {
      const seq = lm.acquireSequence();
      try {
        const got = await runCase(lm, seq, c, parity.maxNew);
        expect(divergence(got, c, TIE_MARGIN)).toBeNull();
        // The last token yielded is pending: the sequence holds every step's positions and all but that one.
        const positions = c.steps.reduce((n, s) => ('tokens' in s ? n + s.tokens.length : 'embeddings' in s ? n + s.embeddings.length : n - (s.erase[1] - s.erase[0])), 0);
        expect(seq.tokenCount).toBe(positions + got.length - 1);
        tokens += got.length;
      } finally {
        await seq.release();
      }
    }
    console.info(`onnx-lm-parity: ${label} ${((performance.now() - start) / tokens).toFixed(2)} ms/token (prefill included)`);
  });

  it('a token\'s table row prefilled as an embedding is that token', async () => {
    const c = parity.cases.find((x) => x.name === 'text-to-text') ?? parity.cases[0]!;
    const first = c.steps[0];
    if (!first || !('tokens' in first)) throw new Error('text-to-text is one token step');
    const prompt = first.tokens;
    const seq = lm.acquireSequence();
    try {
      await lm.prefillEmbeddings(seq, lm.embed(prompt.slice(0, -1)));
      const got = await collect(lm.greedy(seq, prompt.slice(-1), parity.maxNew));
      expect(divergence(got, c, TIE_MARGIN)).toBeNull();
    } finally {
      await seq.release();
    }
  });

  it('passes over forbidden tokens (the answer grammar) and otherwise equals plain greedy decoding', async () => {
    const c = parity.cases.find((x) => promptOf(x) !== undefined);
    const prompt = c && promptOf(c);
    if (!c || !prompt) throw new Error('no one-step case in parity.json');
    const run = async (forbidden?: () => ReadonlySet<number> | undefined): Promise<number[]> => {
      const seq = lm.acquireSequence();
      try {
        return await collect(lm.greedy(seq, prompt, 3, undefined, undefined, forbidden));
      } finally {
        await seq.release();
      }
    };
    const plain = await run();
    expect(await run(() => new Set<number>())).toEqual(plain);
    const first = new Set([plain[0]!]);
    let step = 0;
    const constrained = await run(() => (step++ === 0 ? first : undefined));
    expect(constrained[0]).not.toBe(plain[0]);
  });

  it('stops at maxTokens, hands out only the sequences it has, and refuses to overflow the context', async () => {
    const small = await open(folder(), 1, 32);
    try {
      // The shortest one-step prompt; the end token is forbidden so that only maxTokens can stop
      // the run (a small LM may otherwise end its answer early: which case does is chance).
      const prompts = parity.cases.map(promptOf).filter((p): p is number[] => p !== undefined);
      const prompt = prompts.sort((a, b) => a.length - b.length)[0];
      if (!prompt || prompt.length > 27) throw new Error('no one-step case of at most 27 tokens in parity.json');
      const noEnd = (): ReadonlySet<number> => new Set([small.eosId]);
      const reference = lm.acquireSequence();
      const expected = await collect(lm.greedy(reference, prompt, 5, undefined, undefined, noEnd)).finally(() => reference.release());
      const seq = small.acquireSequence();
      expect(small.freeSequences).toBe(0);
      expect(() => small.acquireSequence()).toThrow(expect.objectContaining({ code: 'SERVER_FULL' }));
      const got = await collect(small.greedy(seq, prompt, 5, undefined, undefined, noEnd));
      expect(got).toHaveLength(5);
      expect(got).toEqual(expected);

      await seq.clear();
      const a = small.tokenizeText('a')[0]!;
      await expect(small.prefill(seq, Array.from({ length: 33 }, () => a))).rejects.toMatchObject({ code: 'CONTEXT_FULL' });
      await expect(small.prefillEmbeddings(seq, new Float32Array(33 * small.dim))).rejects.toMatchObject({ code: 'CONTEXT_FULL' });
      expect(seq.tokenCount).toBe(0);
      // Generation that reaches the end of the context ends with CONTEXT_FULL, never past it.
      await small.prefill(seq, Array.from({ length: 30 }, () => a));
      const tail: number[] = [];
      const ended = await (async () => {
        try {
          for await (const t of small.greedy(seq, [a], 10)) tail.push(t);
          return 'done';
        } catch (err) {
          return (err as { code?: string }).code;
        }
      })();
      expect(ended === 'CONTEXT_FULL' || tail.at(-1) === small.eosId).toBe(true);
      expect(seq.tokenCount).toBeLessThanOrEqual(32);
      await seq.release();
      expect(small.freeSequences).toBe(1);
      await expect(small.prefill(seq, [a])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    } finally {
      await small.close();
    }
  });
}

describeIf(smokeReady, 'the smoke ONNX LM (npm run model:smoke writes test-output/voxgate-smoke-onnx)')('ONNX LM runtime: parity with torch, smoke model', () => {
  parityTests('smoke LM', () => SMOKE_ONNX);
});

describeIf(shippedReady, 'the shipped model and python3-torch')('ONNX LM runtime: parity with torch, models/voxgate-tiny-en\'s weights', () => {
  let dir = '';
  beforeAll(() => {
    dir = deriveOnnxLmFolder(DEFAULT_MODEL_DIR);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dirname(dir), { recursive: true, force: true });
  });
  parityTests('voxgate-tiny-en LM', () => dir);
});
