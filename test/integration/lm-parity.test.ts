// node-llama-cpp's greedy output must equal torch's, token for token: proof that the GGUF
// (weights, RoPE layout, norms, vocabulary) is the model that was trained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LmRuntime } from '../../server/src/runtimes/lm.ts';
import { divergence } from '../helpers/parity.ts';
import { makeRandomLm, pythonHasTorch, PYTHON, readParity } from '../helpers/random-lm.ts';

const hasTorch = pythonHasTorch();
if (!hasTorch) console.warn(`lm-parity: skipping the random-LM parity tests: ${PYTHON} cannot import torch`);

async function generate(lm: LmRuntime, prompt: number[], maxNew: number): Promise<number[]> {
  const seq = lm.acquireSequence();
  try {
    const out: number[] = [];
    for await (const token of lm.greedy(seq, prompt, maxNew)) out.push(token);
    return out;
  } finally {
    await seq.release();
  }
}

/** Torch's top-two logit gap under which a GGUF may pick the other token: rounding decides near ties. */
function tieMarginOf(weights: 'f32' | 'f16' | 'q8_0'): number {
  // f16 matrices make llama.cpp round activations to f16 too: a gap under 1e-2 can go either way.
  if (weights === 'f16') return 1e-2;
  // q8_0: llama.cpp also rounds activations to 8-bit blocks when it multiplies the weights.
  if (weights === 'q8_0') return 0.1;
  return 0;
}

/** Opens the parity file's GGUF and checks every case; returns ms per generated token. */
async function checkParity(parityPath: string): Promise<number> {
  const parity = readParity(parityPath);
  const tieMargin = tieMarginOf(parity.weights);
  const lm = await LmRuntime.open(join(dirname(parityPath), parity.gguf), { sequences: 1, contextTokens: 512 });
  try {
    expect(lm.eosId).toBe(parity.eosId);
    let tokens = 0;
    const start = performance.now();
    for (const c of parity.cases) {
      const got = await generate(lm, c.prompt, parity.maxNew);
      expect(divergence(got, c, tieMargin), parity.gguf).toBeNull();
      tokens += got.length;
    }
    return (performance.now() - start) / tokens;
  } finally {
    await lm.close();
  }
}

describeIf(hasTorch, 'python3-torch')('LM parity with torch: random-weight model', () => {
  let dir = '';
  beforeAll(() => {
    dir = makeRandomLm();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('f32 GGUF: greedy output equals torch token for token', async () => {
    const msPerToken = await checkParity(join(dir, 'parity.json'));
    console.info(`lm-parity: random LM f32 ${msPerToken.toFixed(2)} ms/token (prefill included)`);
  });

  it('f16 GGUF: equals torch run with the same f16-rounded weights, but for near ties', async () => {
    await checkParity(join(dir, 'parity-f16.json'));
  });

  it('q8_0 GGUF: equals torch run with the same dequantised weights, but for near ties', async () => {
    await checkParity(join(dir, 'parity-q8_0.json'));
  });

  it('prefill then greedy gives the same tokens as one greedy call', async () => {
    const parity = readParity(join(dir, 'parity.json'));
    const c = parity.cases.find((x) => x.name === 'speech-to-speech') ?? parity.cases[0]!;
    const lm = await LmRuntime.open(join(dir, parity.gguf), { sequences: 2, contextTokens: 256 });
    try {
      const seq = lm.acquireSequence();
      const half = Math.floor(c.prompt.length / 2);
      await lm.prefill(seq, c.prompt.slice(0, half));
      expect(seq.tokenCount).toBe(half);
      const got: number[] = [];
      for await (const t of lm.greedy(seq, c.prompt.slice(half), parity.maxNew)) got.push(t);
      expect(got).toEqual(c.expected);
      // The last token yielded is pending: the sequence holds the prompt and all but that one.
      expect(seq.tokenCount).toBe(c.prompt.length + got.length - 1);
      await seq.release();
    } finally {
      await lm.close();
    }
  });

  it('stops at maxTokens, hands out only the sequences it has, and refuses to overflow the context', async () => {
    const parity = readParity(join(dir, 'parity.json'));
    const long = parity.cases.find((x) => x.expected.length === parity.maxNew) ?? parity.cases[0]!;
    const lm = await LmRuntime.open(join(dir, parity.gguf), { sequences: 1, contextTokens: 64 });
    try {
      const capped = await generate(lm, long.prompt, 5);
      expect(capped).toEqual(long.expected.slice(0, 5));

      const seq = lm.acquireSequence();
      expect(lm.freeSequences).toBe(0);
      expect(() => lm.acquireSequence()).toThrow(expect.objectContaining({ code: 'SERVER_FULL' }));
      const capacity = seq.capacityTokens;
      const tooLong = Array.from({ length: capacity + 1 }, () => lm.tokenizeText('a')[0]!);
      await expect(lm.prefill(seq, tooLong)).rejects.toMatchObject({ code: 'CONTEXT_FULL' });
      await seq.release();
      expect(lm.freeSequences).toBe(1);
    } finally {
      await lm.close();
    }
  });
});

const SHIPPED = new URL('../../models/voxgate-tiny-en/parity.json', import.meta.url).pathname;
const shipped = existsSync(SHIPPED) && existsSync(join(dirname(SHIPPED), 'lm.gguf'));

describeIf(shipped, 'the shipped model and python3-torch')('LM parity with torch: models/voxgate-tiny-en', () => {
  it('lm.gguf: greedy output equals torch run with the weights as stored (but for near ties, as the format allows)', async () => {
    const msPerToken = await checkParity(SHIPPED);
    console.info(`lm-parity: voxgate-tiny-en ${msPerToken.toFixed(2)} ms/token (prefill included)`);
  });
});
