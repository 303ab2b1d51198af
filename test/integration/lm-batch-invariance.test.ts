// A caller's greedy output under load is its output alone: eight sequences of the real model (the shipped lm.gguf)
// decoding in the same batches give, token for token, what each gives decoding by itself. Without the sampling gate
// (server/src/runtimes/lm-sample-gate.ts) this failed in most runs: concurrent samplings of one batch raced in
// llama.cpp's in-place reordering of the batch's logits, and a sequence took another's.
import { expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import type { LmSequence } from '../../server/src/runtimes/lm.ts';
import { sequenceLookup } from '../../server/src/runtimes/lm-batch-order.ts';
import type { BatchItem, LlamaContext } from 'node-llama-cpp';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';
import { MODEL_DIR, MODEL_FILES } from './engine-model.ts';
import { lmUnderTest } from './lm-under-test.ts';

const manifest = MODEL_FILES ? loadManifest(MODEL_DIR) : undefined;
const GGUF = manifest?.lm.runtime === 'gguf';
const TEXTS = [
  'what can you do',
  'spell house',
  'count from three to nine',
  'what is two plus three',
  'repeat after me the cat sat on the mat',
  'what day comes after monday',
  'what is seven minus four',
  'spell water',
];
const MAX_TOKENS = 80;

describeIf(GGUF, 'a GGUF model folder (the shipped models/voxgate-tiny-en)')('greedy decoding in shared batches', () => {
  const under = lmUnderTest(TEXTS.length);

  async function generate(seq: LmSequence, tokens: readonly number[]): Promise<number[]> {
    const out: number[] = [];
    for await (const t of under.lm.greedy(seq, tokens, MAX_TOKENS)) out.push(t);
    return out;
  }

  /** Each text on its own sequence: prefilled one after another, then all decoding at once (or one at a time). */
  async function run(together: boolean): Promise<number[][]> {
    const seqs = TEXTS.map(() => under.lm.acquireSequence());
    try {
      // All but the prompt's last token first, so the decode steps (not the prompts) share the batches.
      for (const [i, seq] of seqs.entries()) await under.lm.prefill(seq, under.prompt(TEXTS[i]!).slice(0, -1));
      const last = (i: number) => under.prompt(TEXTS[i]!).slice(-1);
      if (together) return await Promise.all(seqs.map((seq, i) => generate(seq, last(i))));
      const outs: number[][] = [];
      for (const [i, seq] of seqs.entries()) outs.push(await generate(seq, last(i)));
      return outs;
    } finally {
      for (const seq of seqs) await seq.release();
    }
  }

  it('gives each sequence the tokens it gets alone', async () => {
    expect(under.lm.samplingGated).toBe(true);
    const before = under.lm.batchTotals();
    const alone = await run(false);
    for (const out of alone) expect(out.length).toBeGreaterThan(10);
    for (let round = 0; round < 3; round++) {
      const together = await run(true);
      together.forEach((out, i) => expect(out, `round ${round}: ${TEXTS[i]}`).toEqual(alone[i]));
    }
    // The gate timed every batch: each generated token was one sampling, and both phases took time.
    const after = under.lm.batchTotals();
    const generated = 4 * alone.reduce((n, out) => n + out.length, 0);
    expect(before).not.toBeNull();
    expect(after!.samplings - before!.samplings).toBeGreaterThanOrEqual(generated);
    expect(after!.batches - before!.batches).toBeLessThan(after!.samplings - before!.samplings);
    expect(after!.decodeMs - before!.decodeMs).toBeGreaterThan(0);
    expect(after!.samplingMs - before!.samplingMs).toBeGreaterThan(0);
  });

  it('also when the prompts are prefilled in the same batches as the decode steps', async () => {
    const alone = await run(false);
    const seqs = TEXTS.map(() => under.lm.acquireSequence());
    try {
      // Staggered starts: some callers' prompts arrive while others already decode.
      const outs = await Promise.all(
        seqs.map(async (seq, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 4));
          return generate(seq, under.prompt(TEXTS[i]!));
        }),
      );
      outs.forEach((out, i) => expect(out, TEXTS[i]).toEqual(alone[i]));
    } finally {
      for (const seq of seqs) await seq.release();
    }
  });

  it("hands llama.cpp each batch in ascending sequence order, every sequence generating in it", async () => {
    // The lane's context and its strategy, reached as the runtime reaches them (node-llama-cpp 3.21's internals).
    const lane = (under.lm as unknown as { lanes: { context: LlamaContext; generating: number }[] }).lanes[0]!;
    const context = lane.context;
    const options = (context as unknown as { _batchingOptions: { itemPrioritizationStrategy: (o: { items: readonly BatchItem[]; size: number }) => { item: BatchItem }[] } })._batchingOptions;
    const strategy = options.itemPrioritizationStrategy;
    const sequenceOf = sequenceLookup(() => context);
    const batches: (number | undefined)[][] = [];
    let full = 0;
    options.itemPrioritizationStrategy = (o) => {
      const out = strategy(o);
      batches.push(out.map((p) => sequenceOf(p.item)));
      if (out.length === lane.generating) full++;
      return out;
    };
    try {
      await run(true);
    } finally {
      options.itemPrioritizationStrategy = strategy;
    }
    const shared = batches.filter((b) => b.length > 1);
    expect(shared.length).toBeGreaterThan(0);
    for (const ids of batches) {
      expect(ids.every((id) => id !== undefined)).toBe(true);
      expect(ids).toEqual([...ids].sort((a, b) => a! - b!));
    }
    // The next batch is chosen once the callers just sampled have queued again (lm-greedy-step.ts), so a batch leaves
    // out a generating sequence only where one is finishing (before any such wait, 5 % of batches held them all).
    expect(full / batches.length).toBeGreaterThan(0.9);
  });

  it('puts callers that fell out of step back in one batch while a prompt is prefilled in pieces', async () => {
    // In a gateway callers start at different moments and a caller still speaking is prefilled a piece per batch,
    // so node-llama-cpp always has something queued when a batch ends and chooses the next batch at once. Unless the
    // step waits for the callers just sampled to queue again (lm-greedy-step.ts), two callers that started apart
    // alternate for good, each batch holding one of them (under 16 callers in bench:capacity, 1.1 decode steps per
    // batch). A caller whose answer just ended still counts as generating for a batch, hence not exactly 1.
    const lane = (under.lm as unknown as { lanes: { context: LlamaContext; generating: number }[] }).lanes[0]!;
    const options = (lane.context as unknown as { _batchingOptions: { itemPrioritizationStrategy: (o: { items: readonly BatchItem[]; size: number }) => { item: BatchItem }[] } })._batchingOptions;
    const strategy = options.itemPrioritizationStrategy;
    const decodeSteps: { steps: number; generating: number }[] = [];
    options.itemPrioritizationStrategy = (o) => {
      const out = strategy(o);
      const steps = out.filter((p) => p.item.tokens.length === 1 && p.item.logits[0] === true).length;
      decodeSteps.push({ steps, generating: lane.generating });
      return out;
    };
    const generators = TEXTS.slice(0, 4);
    const seqs = generators.map(() => under.lm.acquireSequence());
    const speaking = under.lm.acquireSequence();
    try {
      for (const [i, seq] of seqs.entries()) await under.lm.prefill(seq, under.prompt(generators[i]!).slice(0, -1));
      // A caller still speaking: a long prompt without a deadline, a piece per batch behind the decode steps.
      const filler = Array.from({ length: 12 }, () => under.prompt(TEXTS[4]!)).flat().slice(0, 600);
      const prefilling = under.lm.prefill(speaking, filler);
      const outs = await Promise.all(
        seqs.map(async (seq, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 3));
          return generate(seq, under.prompt(generators[i]!).slice(-1));
        }),
      );
      await prefilling;
      for (const out of outs) expect(out.length).toBeGreaterThan(10);
    } finally {
      options.itemPrioritizationStrategy = strategy;
      for (const seq of [...seqs, speaking]) await seq.release();
    }
    const shared = decodeSteps.filter((b) => b.generating >= 2);
    expect(shared.length).toBeGreaterThan(20);
    const perBatch = shared.reduce((a, b) => a + b.steps, 0) / shared.length;
    const meanGenerating = shared.reduce((a, b) => a + b.generating, 0) / shared.length;
    // Every caller whose step is ready goes in (all of them, here; 0.67 of them without the wait).
    expect(perBatch / meanGenerating).toBeGreaterThan(0.9);
  });
});
