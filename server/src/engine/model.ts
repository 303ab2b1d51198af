// The loaded model: one LM context (a pool of sequences shared by every caller), one ONNX session per
// model part, and the manifest's token-level contract (prompts split at {input}, markers, caps).
import { GatewayError } from '../errors.ts';
import { ComParser, partsForMode } from '../pipeline/com-parser.ts';
import { AnswerGrammar } from '../pipeline/answer-grammar.ts';
import { loadManifest, MODES, type LoadedManifest, type Mode } from '../runtimes/manifest.ts';
import type { LanguageModel } from '../runtimes/language-model.ts';
import { openEmbeddedSpeech, openLanguageModel, type EmbeddedSpeech } from '../runtimes/open-lm.ts';
import { UnitEncoder } from '../runtimes/unit-encoder.ts';
import { UnitEncoderThread } from '../runtimes/unit-encoder-thread.ts';
import type { VadKind, VoiceActivityModel } from '../runtimes/vad.ts';
import { openVad } from '../runtimes/vad-thread.ts';
import { openVocoder, type UnitVocoder, type VocoderRuntime } from '../runtimes/vocoder.ts';
import { VocoderThread } from '../runtimes/vocoder-thread.ts';
import { VocoderStream } from '../runtimes/vocoder-stream.ts';
import { ForecastSlack } from '../session/forecast-slack.ts';
import type { AudioStream, PromptTokens, SessionModel, UnitStream } from '../session/session-model.ts';

export interface ModelLoadOptions {
  /** LLM sequences, i.e. callers served at once. */
  sequences: number;
  /** Voice activity detector; 'off' leaves endpointing to clients (commit). Default 'silero'. */
  vad?: VadKind | 'off';
  /** Run the unit encoder once this much new audio waits. */
  encoderRunEveryMs?: number;
  /** Where streamed answers are vocoded: a worker thread (default; keeps the event loop free) or inline. */
  vocoderThread?: ThreadKind;
  /**
   * Where the unit encoder's windows run while callers speak: inline (default) or a worker thread. An A/B at 4–16
   * callers measured no capacity gain from the worker for windows of a few ms (docs/loadtest.md).
   */
  encoderThread?: ThreadKind;
  /** Where Silero scores callers' frames: a worker thread, batched across callers (default), or inline. */
  vadThread?: ThreadKind;
  /** LLM contexts decoding in parallel, one thread each (GGUF LMs; default 1). */
  lmLanes?: number;
}

/** Where an ONNX model's runs for callers go: its own worker thread (onnx-thread.ts) or inline on the event loop. */
export type ThreadKind = 'worker' | 'inline';

export class EngineModel implements SessionModel {
  readonly name: string;
  readonly sampleRateHz: number;
  readonly hopSamples: number;
  readonly mergeRepeats: boolean;
  readonly vocoderSampleRateHz: number;
  readonly endOfAnswerId: number;
  readonly answerReserveTokens: number;
  readonly earlierTurns: number | undefined;
  readonly forecastSlack = new ForecastSlack();
  private readonly prompts = new Map<Mode, PromptTokens>();
  private readonly foreignIds = new Set<number>();
  /** What greedy decoding may not pick at each point of an answer (constrained decoding). */
  private readonly grammar: AnswerGrammar;

  private constructor(
    readonly manifest: LoadedManifest,
    readonly lm: LanguageModel,
    readonly units: UnitEncoder,
    /** Callers' streamed windows: a worker thread, or `units` itself inline. */
    private readonly streamUnits: UnitEncoder | UnitEncoderThread,
    /** Inline: whole-utterance vocoding and the contract; streamed answers go through streamVocoder. */
    readonly vocoder: VocoderRuntime,
    private readonly streamVocoder: UnitVocoder,
    readonly vad: VoiceActivityModel | undefined,
    private readonly encoderRunEveryMs: number | undefined,
    /** lm.inputKind "embeddings" (LLaSM): speech reaches the LM as adapted embeddings instead of unit tokens. */
    private readonly speech: EmbeddedSpeech | undefined,
  ) {
    this.name = manifest.name;
    this.sampleRateHz = manifest.sampleRateHz;
    this.hopSamples = speech ? speech.embedder.hopSamples : manifest.units.hopSamples;
    // Embedding rows are each their own position: nothing to merge.
    this.mergeRepeats = speech ? false : manifest.units.mergeRepeats;
    this.vocoderSampleRateHz = manifest.vocoder.sampleRateHz;
    this.endOfAnswerId = lm.eosId;
    // Half the context for the answer: room for one earlier turn besides, as in training.
    this.answerReserveTokens = Math.floor(manifest.lm.contextTokens / 2);
    this.earlierTurns = manifest.lm.earlierTurns;
    const markers = manifest.lm.markers;
    const outputMarkers = new Set([markers.transcript, markers.answer, markers.answerUnits, markers.endOfAnswer]);
    for (const mode of MODES) {
      const [before = '', after = ''] = manifest.lm.prompts[mode].split('{input}');
      const prompt = { before: lm.tokenizeTemplate(before), after: lm.tokenizeTemplate(after) };
      this.prompts.set(mode, prompt);
      // Prompt-only tokens ([Human]:, <sosp>, <eoh>, ...) in an answer mean the model derailed.
      for (const id of [...prompt.before, ...prompt.after]) {
        const text = lm.tokenText(id);
        if (text.length > 1 && !outputMarkers.has(text)) this.foreignIds.add(id);
      }
    }
    for (const text of ['<s>', '</s>', '<unk>', '<pad>']) {
      const id = lm.tokenizer.idOf(text);
      if (id !== undefined && id !== lm.eosId) this.foreignIds.add(id);
    }
    const { count, tokenOffset } = manifest.units;
    const pieces = manifest.lm.spokenPieces;
    const unitTokensNeeded = Math.max(count + tokenOffset, manifest.vocoder.unitCount, pieces ? pieces.firstUnit + pieces.units.length : 0);
    if (lm.tokenizer.unitCount < unitTokensNeeded) {
      throw new GatewayError('MODEL_INVALID', `${manifest.paths.lm}: has ${lm.tokenizer.unitCount} unit tokens; the manifest needs ${unitTokensNeeded} (units.count + units.tokenOffset, vocoder.unitCount, lm.spokenPieces)`);
    }
    // Heard units of their own (tokenOffset > 0) are never spoken: in an answer they mean the model derailed.
    if (tokenOffset > 0) for (let u = tokenOffset; u < tokenOffset + count; u++) this.foreignIds.add(lm.unitTokenId(u));
    const spokenUnits = manifest.vocoder.unitCount;
    this.grammar = new AnswerGrammar({
      size: lm.tokenizer.size,
      textOf: (id) => lm.tokenText(id),
      isUnit: (id) => lm.unitOfToken(id) >= 0,
      spokenUnitOf: (id) => {
        const u = lm.unitOfToken(id);
        return u >= 0 && (u < spokenUnits || this.pieceUnits(u) !== undefined) && !this.foreignIds.has(id) ? u : undefined;
      },
      isForeign: (id) => this.foreignIds.has(id),
      eosId: lm.eosId,
      markers,
    });
  }

  static async load(dir: string, opts: ModelLoadOptions): Promise<EngineModel> {
    const m = loadManifest(dir);
    const lm = await openLanguageModel(m, opts.sequences, opts.lmLanes);
    try {
      const [units, vocoder, vad, speech] = await Promise.all([
        UnitEncoder.load(m.paths.units, m.units),
        openVocoder(m.paths.vocoder, { hopSamples: m.vocoder.hopSamples, unitCount: m.vocoder.unitCount }),
        opts.vad === 'off' ? Promise.resolve(undefined) : openVad(opts.vad ?? 'silero', m.sampleRateHz, opts.vadThread ?? 'worker'),
        openEmbeddedSpeech(m, lm),
      ]);
      // An embedding-input model's speech goes through its speech encoder, not the unit encoder: no thread for that.
      const threadUnits = opts.encoderThread === 'worker' && !speech;
      const [streamVocoder, streamUnits] = await Promise.all([
        (opts.vocoderThread ?? 'worker') === 'worker' ? VocoderThread.open(m.paths.vocoder, vocoder) : vocoder,
        threadUnits ? UnitEncoderThread.open(m.paths.units, units, m.sampleRateHz) : units,
      ]);
      return new EngineModel(m, lm, units, streamUnits, vocoder, streamVocoder, vad, opts.encoderRunEveryMs, speech);
    } catch (err) {
      await lm.close();
      throw err;
    }
  }

  openUnitStream(): UnitStream {
    const opts = { sampleRateHz: this.sampleRateHz, ...(this.encoderRunEveryMs !== undefined ? { runEveryMs: this.encoderRunEveryMs } : {}) };
    return this.speech ? this.speech.embedder.openIdStream(this.speech.slots, opts) : this.streamUnits.openStream(opts);
  }

  /** Streamed-answer vocoder requests in flight (a worker's queue; inline vocoding queues nothing). */
  get vocoderQueueDepth(): number {
    return this.streamVocoder instanceof VocoderThread ? this.streamVocoder.queueDepth : 0;
  }

  openAudioStream(): AudioStream {
    const v = this.manifest.vocoder;
    return new VocoderStream(this.streamVocoder, { firstChunkUnits: v.firstChunkUnits, chunkUnits: v.chunkUnits, leftContextUnits: v.leftContextUnits, lookaheadUnits: v.lookaheadUnits });
  }

  tokenMsNow(): number {
    return this.lm.pace.msPerTokenAt(Math.max(1, this.lm.generating));
  }

  prefillMsPerToken(): number {
    return this.lm.pace.prefillMsPerToken;
  }

  prompt(mode: Mode): PromptTokens {
    const p = this.prompts.get(mode);
    if (!p) throw new GatewayError('BAD_REQUEST', `unknown mode ${mode}`);
    return p;
  }

  /**
   * The whole utterance's speech ids at once (the offline reference the benches time streaming against): units, or
   * for an embedding-input model its rows held under slot ids. A row goes when the LM evaluates it: encode again
   * for another prefill.
   */
  async encodeUtterance(pcm: Float32Array): Promise<number[]> {
    return this.speech ? this.speech.slots.register(await this.speech.embedder.encodeUtterance(pcm)) : this.units.encodeUtterance(pcm);
  }

  unitTokens(units: readonly number[]): number[] {
    // An embedding-input model's speech stream hands out the ids its rows wait under: already the LM's.
    if (this.speech) return [...units];
    const offset = this.manifest.units.tokenOffset;
    return units.map((u) => this.lm.unitTokenId(u + offset));
  }

  textTokens(text: string): number[] {
    return this.lm.tokenizeText(text);
  }

  tokenText(id: number): string {
    return this.lm.tokenText(id);
  }

  newParser(mode: Mode): ComParser {
    const lm = this.lm;
    return new ComParser({
      parts: partsForMode(mode),
      markers: this.manifest.lm.markers,
      maxTokens: this.manifest.lm.maxTokens,
      unitOf: (id) => {
        const u = lm.unitOfToken(id);
        return u >= 0 ? u : undefined;
      },
      pieceUnits: (unit) => this.pieceUnits(unit),
      isEndOfAnswer: (id) => id === lm.eosId,
      isForeign: (id) => this.foreignIds.has(id),
      grammar: this.grammar,
    });
  }

  /** The spoken units an answer-unit piece stands for (manifest lm.spokenPieces); undefined for any other unit. */
  pieceUnits(unit: number): readonly number[] | undefined {
    const pieces = this.manifest.lm.spokenPieces;
    return pieces ? pieces.units[unit - pieces.firstUnit] : undefined;
  }

  maxAnswerTokens(mode: Mode): number {
    const caps = this.manifest.lm.maxTokens;
    // Each part's cap, plus its marker, plus the end of answer.
    return partsForMode(mode).reduce((n, part) => n + caps[part] + 1, 1);
  }

  maxAnswerUnits(mode: Mode): number {
    const pieces = this.manifest.lm.spokenPieces?.units ?? [];
    return this.maxAnswerTokens(mode) * pieces.reduce((n, p) => Math.max(n, p.length), 1);
  }

  async close(): Promise<void> {
    const unitThread = this.streamUnits instanceof UnitEncoderThread ? this.streamUnits.close() : undefined;
    await Promise.allSettled([this.units.close(), unitThread, this.vad?.close(), this.speech?.embedder.close(), this.streamVocoder instanceof VocoderThread ? this.streamVocoder.close() : undefined]);
    await this.lm.close();
  }
}
