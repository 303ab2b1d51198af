// Fakes for engine unit tests: a character-level vocabulary like the default model's, a scripted LLM
// sequence, a unit encoder and a vocoder. Real pure cores (parser, VocoderStream, EnergyVad) run on top.
import { ComParser, partsForMode } from '../../server/src/pipeline/com-parser.ts';
import type { Mode } from '../../server/src/runtimes/manifest.ts';
import { EnergyVad } from '../../server/src/runtimes/vad.ts';
import { VocoderStream } from '../../server/src/runtimes/vocoder-stream.ts';
import type { UnitVocoder, VocodeResult } from '../../server/src/runtimes/vocoder.ts';
import type { AudioStream, PromptTokens, SessionModel, UnitStream } from '../../server/src/session/session-model.ts';
import { ForecastSlack } from '../../server/src/session/forecast-slack.ts';
import type { TokenSequence } from '../../server/src/session/token-sequence.ts';

export const SPECIALS = ['<unk>', '<s>', '</s>', '[Human]:', '[Assistant]:', '<eoh>', '[tq]', '[ta]', '[ua]', '<eoa>', '<sosp>', '<eosp>', '<2s>', '<2t>', '<pad>'];
const FIRST_CHAR = SPECIALS.length;
const FIRST_UNIT = FIRST_CHAR + 95;
/** Whether a fake token id is an answer unit. */
export const isUnitToken = (id: number): boolean => id >= FIRST_UNIT;
export const UNIT_COUNT = 16;
export const EOA = SPECIALS.indexOf('<eoa>');
const PROMPTS: Record<Mode, string> = {
  'speech-to-speech': '[Human]:<sosp>{input}<eosp><2s><eoh>[Assistant]:',
  'speech-to-text': '[Human]:<sosp>{input}<eosp><2t><eoh>[Assistant]:',
  'text-to-speech': '[Human]:{input}<2s><eoh>[Assistant]:',
  'text-to-text': '[Human]:{input}<2t><eoh>[Assistant]:',
};

export const unitId = (u: number): number => FIRST_UNIT + u;
export const isUnit = (id: number): boolean => id >= FIRST_UNIT && id < FIRST_UNIT + UNIT_COUNT;

export function tokenText(id: number): string {
  if (id < FIRST_CHAR) return SPECIALS[id] ?? '';
  if (id < FIRST_UNIT) return String.fromCharCode(id - FIRST_CHAR + 32);
  return `<${id - FIRST_UNIT}>`;
}

/** Template text: specials by longest match, `<n>` as unit n, other characters one by one. */
export function tokenize(s: string): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < s.length) {
    const special = SPECIALS.filter((t) => s.startsWith(t, i)).sort((a, b) => b.length - a.length)[0];
    const unit = /^<(\d+)>/.exec(s.slice(i));
    if (special) {
      out.push(SPECIALS.indexOf(special));
      i += special.length;
    } else if (unit) {
      out.push(unitId(Number(unit[1])));
      i += unit[0].length;
    } else {
      out.push(FIRST_CHAR + s.charCodeAt(i) - 32);
      i++;
    }
  }
  return out;
}

export const detokenize = (ids: readonly number[]): string => ids.map(tokenText).join('');

/** What the fake LLM answers: the turn's mode and input, parsed back from the context. */
export interface FakeTurn {
  mode: Mode;
  /** Caller text, or the unit ids for speech. */
  text: string;
  units: number[];
}

export type FakeScript = (turn: FakeTurn, context: string) => string;

/** Answers every turn in its mode: the transcript is "N units", the answer echoes, the speech is 30 units. */
export const echoScript: FakeScript = (turn) => {
  const transcript = turn.mode.startsWith('speech') ? `${turn.units.length} units` : '';
  const answer = `you said ${turn.mode.startsWith('speech') ? transcript : turn.text}`;
  const speech = Array.from({ length: 30 }, (_, i) => `<${(i * 7) % UNIT_COUNT}>`).join('');
  let out = turn.mode.startsWith('speech') ? `[tq] ${transcript}; ` : '';
  out += `[ta] ${answer}`;
  if (turn.mode.endsWith('speech')) out += `; [ua] ${speech}`;
  return `${out}<eoa>`;
};

function lastTurn(context: string): FakeTurn {
  const at = context.lastIndexOf('[Human]:');
  const prompt = context.slice(at);
  const speech = /^\[Human\]:<sosp>(.*)<eosp><(2s|2t)><eoh>\[Assistant\]:$/.exec(prompt);
  if (speech) {
    const units = [...(speech[1] ?? '').matchAll(/<(\d+)>/g)].map((m) => Number(m[1]));
    return { mode: speech[2] === '2s' ? 'speech-to-speech' : 'speech-to-text', text: '', units };
  }
  const text = /^\[Human\]:(.*)<(2s|2t)><eoh>\[Assistant\]:$/.exec(prompt);
  if (!text) throw new Error(`fake LLM: not a prompt at the end of the context: ${JSON.stringify(prompt.slice(0, 80))}`);
  return { mode: text[2] === '2s' ? 'text-to-speech' : 'text-to-text', text: text[1] ?? '', units: [] };
}

export interface FakeSequenceOptions {
  capacityTokens?: number;
  /** Delay per generated token, ms (0: a microtask). */
  tokenDelayMs?: number;
  /** Delay before each generated token by its index and id, ms: a pace that changes mid-answer (overrides tokenDelayMs). */
  tokenDelayMsAt?: (index: number, token: number) => number;
  script?: FakeScript;
  /** Throw from generate (a broken sequence). */
  failGenerate?: boolean;
}

/** A scripted LLM sequence that behaves like node-llama-cpp's: the last yielded token is not evaluated. */
export class FakeTokenSequence implements TokenSequence {
  readonly tokens: number[] = [];
  readonly capacityTokens: number;
  /** Lengths of each generate() input (the tail evaluated at end of speech). */
  readonly generateInputs: number[][] = [];
  readonly prefills: number[][] = [];
  released = false;

  constructor(private readonly opts: FakeSequenceOptions = {}) {
    this.capacityTokens = opts.capacityTokens ?? 4096;
  }

  get tokenCount(): number {
    return this.tokens.length;
  }

  get text(): string {
    return detokenize(this.tokens);
  }

  async prefill(tokens: readonly number[]): Promise<void> {
    await Promise.resolve();
    this.room(tokens.length);
    this.prefills.push([...tokens]);
    this.tokens.push(...tokens);
  }

  async *generate(tokens: readonly number[], maxTokens: number, signal: AbortSignal): AsyncGenerator<number, void, void> {
    if (this.opts.failGenerate) throw new Error('fake sequence failure');
    this.room(tokens.length);
    this.generateInputs.push([...tokens]);
    this.tokens.push(...tokens);
    const context = this.text;
    const answer = tokenize((this.opts.script ?? echoScript)(lastTurn(context), context));
    for (let i = 0; i < answer.length && i < maxTokens; i++) {
      if (i > 0) {
        this.room(1);
        this.tokens.push(answer[i - 1] ?? 0);
      }
      await delay(this.opts.tokenDelayMsAt?.(i, answer[i] ?? 0) ?? this.opts.tokenDelayMs ?? 0);
      if (signal.aborted) return;
      yield answer[i] ?? 0;
    }
  }

  async erase(start: number, end: number): Promise<void> {
    await Promise.resolve();
    this.tokens.splice(start, end - start);
  }

  async release(): Promise<void> {
    this.released = true;
  }

  private room(n: number): void {
    if (this.tokens.length + n > this.capacityTokens) throw new Error('fake sequence: context full');
  }
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** One unit per 160-sample hop: silence is unit 0, louder hops higher units (repeats merge, like real units). */
class FakeUnitStream implements UnitStream {
  private pending: number[] = [];
  encodedSamples = 0;
  async push(pcm: Float32Array): Promise<number[]> {
    this.pending.push(...pcm);
    return this.encode(Number.POSITIVE_INFINITY);
  }
  async runNow(): Promise<number[]> {
    return [];
  }
  async flush(usefulSamples = Number.POSITIVE_INFINITY): Promise<number[]> {
    const out = this.encode(usefulSamples - this.encodedSamples);
    this.pending = [];
    return out;
  }
  /** Every whole hop at once (so runNow has nothing left to do), at most `maxSamples`. */
  private encode(maxSamples: number): number[] {
    const out: number[] = [];
    while (this.pending.length >= 160 && (out.length + 1) * 160 <= maxSamples) {
      const hop = this.pending.splice(0, 160);
      const peak = Math.max(...hop.map(Math.abs));
      out.push(Math.min(UNIT_COUNT - 1, Math.round(peak * 20) + (out.length % 3)));
    }
    this.encodedSamples += out.length * 160;
    return out;
  }
}

/** Two 160-sample frames per unit, each sample = unit / 100. */
export class FakeVocoder implements UnitVocoder {
  readonly hopSamples = 160;
  calls = 0;
  async vocode(units: readonly number[]): Promise<VocodeResult> {
    this.calls++;
    const audio = new Float32Array(units.length * 2 * this.hopSamples);
    units.forEach((u, i) => audio.fill(u / 100, i * 320, (i + 1) * 320));
    return { audio, durationsFrames: units.map(() => 2) };
  }
}

export class FakeSessionModel implements SessionModel {
  readonly name = 'fake';
  readonly sampleRateHz = 16000;
  readonly hopSamples = 160;
  readonly mergeRepeats = true;
  readonly vocoderSampleRateHz = 16000;
  readonly endOfAnswerId = EOA;
  readonly answerReserveTokens: number;
  readonly earlierTurns: number | undefined;
  readonly vad = new EnergyVad();
  readonly vocoder = new FakeVocoder();
  private readonly maxTokens = { transcript: 100, answer: 100, answerUnits: 200 };

  constructor(opts: { answerReserveTokens?: number; earlierTurns?: number } = {}) {
    this.answerReserveTokens = opts.answerReserveTokens ?? 256;
    this.earlierTurns = opts.earlierTurns;
  }

  openUnitStream(): UnitStream {
    return new FakeUnitStream();
  }

  openAudioStream(): AudioStream {
    return new VocoderStream(this.vocoder, { firstChunkUnits: 5, chunkUnits: 10, leftContextUnits: 2, crossfadeSamples: 0 });
  }

  readonly forecastSlack = new ForecastSlack();

  /** A fake pace: the fake sequence answers at once. */
  tokenMsNow(): number {
    return 0;
  }

  prefillMsPerToken(): number {
    return 0;
  }

  prompt(mode: Mode): PromptTokens {
    const [before = '', after = ''] = PROMPTS[mode].split('{input}');
    return { before: tokenize(before), after: tokenize(after) };
  }

  unitTokens(units: readonly number[]): number[] {
    return units.map(unitId);
  }

  textTokens(text: string): number[] {
    return [...text.toLowerCase()].map((c) => (c >= ' ' && c <= '~' ? FIRST_CHAR + c.charCodeAt(0) - 32 : FIRST_CHAR));
  }

  tokenText(id: number): string {
    return tokenText(id);
  }

  newParser(mode: Mode): ComParser {
    return new ComParser({
      parts: partsForMode(mode),
      markers: { transcript: '[tq]', answer: '[ta]', answerUnits: '[ua]', endOfAnswer: '<eoa>', separator: ';' },
      maxTokens: this.maxTokens,
      unitOf: (id) => (isUnit(id) ? id - FIRST_UNIT : undefined),
      isEndOfAnswer: (id) => id === EOA,
      isForeign: (id) => id < FIRST_CHAR && !['[tq]', '[ta]', '[ua]', '<eoa>'].includes(SPECIALS[id] ?? ''),
    });
  }

  maxAnswerTokens(mode: Mode): number {
    return partsForMode(mode).reduce((n, p) => n + this.maxTokens[p] + 1, 1);
  }

  maxAnswerUnits(mode: Mode): number {
    return this.maxAnswerTokens(mode);
  }
}

/** A loud tone of `ms` (speech to the energy VAD and the fake encoder). */
export function tone(ms: number, amplitude = 0.3): Float32Array {
  const n = Math.round(ms * 16);
  return Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin(i * 0.05 + Math.sin(i * 0.001) * 20));
}

export function quiet(ms: number): Float32Array {
  return new Float32Array(Math.round(ms * 16));
}
