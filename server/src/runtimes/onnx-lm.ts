// The ONNX LM runtime: lm.onnx (inputs_embeds + a key/value cache per layer, docs/models.md) in onnxruntime-node,
// with the token-embedding table beside it. Same contract as the GGUF runtime (language-model.ts), plus prefill of
// embeddings, which node-llama-cpp cannot take: the LLaSM path feeds an adaptor's speech embeddings this way.
// One InferenceSession serves every sequence; each sequence keeps its own cache (kv-cache.ts) across turns.
import * as ort from 'onnxruntime-node';
import { GatewayError } from '../errors.ts';
import { percentile } from '../loadtest/stats.ts';
import { EmbeddingSlots } from './embedding-slots.ts';
import { KvCache } from './kv-cache.ts';
import { ensureRoom, LmVocabulary, type ForbiddenNext, type LanguageModel, type LmSlot } from './language-model.ts';
import { CALIBRATION_TOKENS, LmPace } from './lm-pace.ts';
import { readEmbeddingTable, readTokenTexts } from './onnx-lm-files.ts';
import type { StepUrgency } from './lm-schedule.ts';
import { Tokenizer, type TokenizerOptions } from './tokenizer.ts';

export interface OnnxLmOpenOptions extends TokenizerOptions {
  /** Conversations that can hold a sequence at once. */
  sequences: number;
  /** Positions each sequence can hold (manifest lm.contextTokens). */
  contextTokens: number;
  /** lm-embeddings.bin (manifest lm.embeddings). */
  embeddingsPath: string;
  /** lm-tokens.json (manifest lm.tokens). */
  tokensPath: string;
  /** onnxruntime intra-op threads: 1, as for the GGUF runtime (small models lose to thread sync on 2 vCPUs). */
  threads?: number;
}

/** The graph's shape, read from its inputs and outputs. */
interface GraphShape {
  dim: number;
  layers: number;
  vocab: number;
}

export class OnnxLmSequence implements LmSlot {
  readonly cache: KvCache;
  private released = false;
  /** A run in flight: one sequence is stepped by one caller at a time (its conversation's queue). */
  busy = false;

  constructor(
    shape: GraphShape,
    readonly capacityTokens: number,
    private readonly onRelease: () => void,
  ) {
    this.cache = new KvCache(shape.layers, shape.dim, capacityTokens);
  }

  get tokenCount(): number {
    return this.cache.length;
  }

  get isReleased(): boolean {
    return this.released;
  }

  async erase(start: number, end: number): Promise<void> {
    this.cache.erase(start, end);
  }

  async clear(): Promise<void> {
    this.cache.clear();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.cache.clear();
    this.onRelease();
  }
}

export class OnnxLmRuntime extends LmVocabulary implements LanguageModel<OnnxLmSequence> {
  readonly pace = new LmPace(1);
  /** Adapted speech embeddings waiting for evaluation, under ids past the vocabulary (embed() resolves them). */
  readonly slots: EmbeddingSlots;
  private generatingNow = 0;
  private inUse = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly shape: GraphShape,
    /** [vocab, dim], row = token id. */
    private readonly embeddings: Float32Array,
    tokenizer: Tokenizer,
    private readonly opts: OnnxLmOpenOptions,
  ) {
    super(tokenizer);
    this.slots = new EmbeddingSlots(shape.vocab, shape.dim);
  }

  static async open(path: string, opts: OnnxLmOpenOptions): Promise<OnnxLmRuntime> {
    let session: ort.InferenceSession | undefined;
    try {
      session = await ort.InferenceSession.create(path, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential' });
      const shape = graphShape(session, path);
      const texts = readTokenTexts(opts.tokensPath);
      if (texts.length !== shape.vocab) {
        throw new GatewayError('MODEL_INVALID', `${opts.tokensPath}: lists ${texts.length} tokens; ${path} gives logits for ${shape.vocab}`);
      }
      const embeddings = readEmbeddingTable(opts.embeddingsPath, shape.vocab, shape.dim);
      const runtime = new OnnxLmRuntime(session, shape, embeddings, new Tokenizer(texts, opts), opts);
      await runtime.calibrate();
      return runtime;
    } catch (err) {
      await session?.release();
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('MODEL_INVALID', `${path}: cannot load the ONNX LM: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Width of one embedding row: what prefillEmbeddings takes per position. */
  get dim(): number {
    return this.shape.dim;
  }

  get generating(): number {
    return this.generatingNow;
  }

  get freeSequences(): number {
    return this.opts.sequences - this.inUse;
  }

  acquireSequence(): OnnxLmSequence {
    if (this.inUse >= this.opts.sequences) {
      throw new GatewayError('SERVER_FULL', `all ${this.opts.sequences} LM sequences are in use`, { retryable: true });
    }
    this.inUse++;
    return new OnnxLmSequence(this.shape, this.opts.contextTokens, () => this.inUse--);
  }

  /** The rows for `tokens`: the table's for token ids, the held row for an embedding slot (taken): [tokens.length, dim]. */
  embed(tokens: readonly number[]): Float32Array {
    const { dim, vocab } = this.shape;
    const rows = new Float32Array(tokens.length * dim);
    tokens.forEach((id, i) => {
      if (this.slots.isSlot(id)) {
        const row = this.slots.take(id);
        if (!row) throw new GatewayError('INTERNAL', `embedding slot ${id} holds no row (evaluated already, or dropped)`);
        rows.set(row, i * dim);
        return;
      }
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token ${id} is outside the vocabulary 0..${vocab - 1}`);
      rows.set(this.embeddings.subarray(id * dim, (id + 1) * dim), i * dim);
    });
    return rows;
  }

  async prefill(sequence: OnnxLmSequence, tokens: readonly number[]): Promise<void> {
    if (tokens.length === 0) return;
    ensureRoom(sequence, tokens.length);
    await this.step(sequence, this.embed(tokens));
  }

  /** Evaluates embedding rows ([positions, dim], e.g. adapted speech) into the sequence without generating. */
  async prefillEmbeddings(sequence: OnnxLmSequence, rows: Float32Array): Promise<void> {
    if (rows.length % this.shape.dim !== 0) {
      throw new RangeError(`${rows.length} floats are not whole rows of ${this.shape.dim}`);
    }
    if (rows.length === 0) return;
    ensureRoom(sequence, rows.length / this.shape.dim);
    await this.step(sequence, rows);
  }

  /**
   * Deadlines are not used yet: each step runs when its caller asks, in arrival order, on this thread (onnxruntime's
   * run() blocks it); scheduling ONNX steps by deadline, and batching callers in one run, is the next step.
   */
  async *greedy(
    sequence: OnnxLmSequence,
    tokens: readonly number[],
    maxTokens: number,
    signal?: AbortSignal,
    _urgency?: StepUrgency,
    forbidden?: ForbiddenNext,
  ): AsyncGenerator<number, void, void> {
    if (tokens.length === 0 || maxTokens <= 0 || signal?.aborted) return;
    ensureRoom(sequence, tokens.length);
    this.generatingNow++;
    try {
      let logits = await this.step(sequence, this.embed(tokens));
      let count = 0;
      let lastAtMs: number | undefined;
      for (;;) {
        if (signal?.aborted) return;
        const token = argmax(logits, forbidden?.());
        // The first token carries the prompt's prefill; later intervals are the decode pace at this load.
        const now = performance.now();
        if (lastAtMs !== undefined) this.pace.observe(this.generatingNow, now - lastAtMs);
        yield token;
        lastAtMs = performance.now();
        count++;
        if (token === this.eosId || count >= maxTokens || signal?.aborted) return;
        ensureRoom(sequence, 1);
        logits = await this.step(sequence, this.embed([token]));
      }
    } finally {
      this.generatingNow--;
    }
  }

  /** Runs the graph on new rows after the sequence's cache; appends their keys and values; returns the last logits. */
  private async step(sequence: OnnxLmSequence, rows: Float32Array): Promise<Float32Array> {
    if (sequence.isReleased) throw new GatewayError('SHUTTING_DOWN', 'the LM sequence was released');
    if (sequence.busy) throw new Error('an LM sequence was stepped by two callers at once');
    const { dim, layers } = this.shape;
    const count = rows.length / dim;
    const past = sequence.cache.length;
    const feeds: Record<string, ort.Tensor> = { inputs_embeds: new ort.Tensor('float32', rows, [1, count, dim]) };
    for (let l = 0; l < layers; l++) {
      feeds[`past_key.${l}`] = new ort.Tensor('float32', sequence.cache.keysOf(l), [1, past, dim]);
      feeds[`past_value.${l}`] = new ort.Tensor('float32', sequence.cache.valuesOf(l), [1, past, dim]);
    }
    sequence.busy = true;
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } finally {
      sequence.busy = false;
    }
    // Released while the graph ran (its caller hung up): nothing to keep.
    if (sequence.isReleased) throw new GatewayError('SHUTTING_DOWN', 'the LM sequence was released');
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    for (let l = 0; l < layers; l++) {
      keys.push(floats(out, `present_key.${l}`));
      values.push(floats(out, `present_value.${l}`));
    }
    sequence.cache.append(count, keys, values);
    return floats(out, 'logits');
  }

  /** Seeds the pace model: one-token steps timed on a free sequence (the start-up load). */
  private async calibrate(): Promise<void> {
    const seq = this.acquireSequence();
    try {
      const row = this.embed([this.eosId]);
      const intervals: number[] = [];
      for (let i = 0; i <= CALIBRATION_TOKENS && seq.tokenCount < seq.capacityTokens; i++) {
        const start = performance.now();
        await this.step(seq, row);
        // The first step pays onnxruntime's warm-up: not the pace.
        if (i > 0) intervals.push(performance.now() - start);
      }
      if (intervals.length > 0) this.pace.seed(percentile(intervals, 50));
    } finally {
      await seq.release();
    }
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Index of the largest logit outside `skip`; the first of equals, as torch.argmax. */
function argmax(logits: Float32Array, skip?: ReadonlySet<number>): number {
  let best = -1;
  for (let i = 0; i < logits.length; i++) {
    if (skip?.has(i) || (best >= 0 && !(logits[i]! > logits[best]!))) continue;
    best = i;
  }
  // Everything ruled out cannot come from the grammar (it always allows the end of answer or a marker): plain argmax.
  return best >= 0 ? best : argmax(logits);
}

function floats(out: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const data = out[name]?.data;
  if (!(data instanceof Float32Array)) throw new GatewayError('MODEL_OUTPUT_MALFORMED', `the ONNX LM gave no float32 output ${name}`);
  return data;
}

/** dim, layers and vocabulary from the graph's declared inputs and outputs. */
function graphShape(session: ort.InferenceSession, path: string): GraphShape {
  const bad = (why: string) => new GatewayError('MODEL_INVALID', `${path}: not an LM graph voxgate runs: ${why} (docs/models.md)`);
  const embeds = session.inputMetadata.find((m) => m.name === 'inputs_embeds');
  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  const dim = embeds?.isTensor ? embeds.shape[2] : undefined;
  const vocab = logits?.isTensor ? logits.shape[1] : undefined;
  if (typeof dim !== 'number' || dim < 1) throw bad('input inputs_embeds [1, T, dim] with a fixed dim is missing');
  if (typeof vocab !== 'number' || vocab < 1) throw bad('output logits [1, vocab] with a fixed vocab is missing');
  let layers = 0;
  while (session.inputNames.includes(`past_key.${layers}`)) layers++;
  if (layers === 0) throw bad('no past_key.0 input');
  for (let l = 0; l < layers; l++) {
    if (!session.inputNames.includes(`past_value.${l}`)) throw bad(`input past_value.${l} is missing`);
    for (const name of [`present_key.${l}`, `present_value.${l}`]) if (!session.outputNames.includes(name)) throw bad(`output ${name} is missing`);
  }
  return { dim, layers, vocab };
}
