// Streaming parser for chain-of-modality output: `[tq] transcript; [ta] answer; [ua] <u><u>…<eoa>`.
// Tokens in (id + text), events out: text deltas as they become certain, unit ids, part ends, end of answer.
// Malformed output never throws: the parser emits one `error` event (after closing the part in progress) and
// ignores everything after it, so the engine can stop generating and keep the session.
import type { LmMarkers } from '../runtimes/manifest.ts';
import type { AnswerGrammar } from './answer-grammar.ts';

export type OutputPart = 'transcript' | 'answer' | 'answerUnits';
export type TextPart = Exclude<OutputPart, 'answerUnits'>;

export interface ParserToken {
  id: number;
  text: string;
}

/** What the parser has read: the part open now (undefined before the first marker) and the marker due next. */
export interface ParserPosition {
  part: OutputPart | undefined;
  next: MarkerKind;
}

export type ParserErrorCode = 'MODEL_OUTPUT_MALFORMED' | 'MODEL_OUTPUT_TOO_LONG';

export type ParserEvent =
  | { type: 'part.start'; part: OutputPart }
  | { type: 'text.delta'; part: TextPart; text: string }
  | { type: 'units'; units: number[] }
  /** `text` is the whole part for text parts, trimmed of whitespace and the separator. */
  | { type: 'part.end'; part: OutputPart; text: string; tokens: number }
  | { type: 'end' }
  | { type: 'error'; code: ParserErrorCode; message: string };

export interface ComParserOptions {
  /** Parts the mode produces, in order, e.g. ['transcript', 'answer', 'answerUnits']. */
  parts: readonly OutputPart[];
  markers: LmMarkers;
  maxTokens: Record<OutputPart, number>;
  /** The unit a token stands for, or undefined for other tokens. */
  unitOf(id: number): number | undefined;
  /** The spoken units a unit stands for when it is an answer-unit piece (manifest lm.spokenPieces), else undefined. */
  pieceUnits?(unit: number): readonly number[] | undefined;
  /** True for the end-of-answer (EOS) token id. */
  isEndOfAnswer(id: number): boolean;
  /** True for ids that must never appear in an answer (prompt markers such as `[Human]:`, BOS). */
  isForeign?(id: number): boolean;
  /** The tokens that would be malformed at each position, for constrained decoding (`forbiddenNext`). */
  grammar?: AnswerGrammar;
}

/** Whitespace-only tokens tolerated before the first marker, so a stuck model cannot idle forever. */
const MAX_TOKENS_BEFORE_FIRST_MARKER = 16;

export type MarkerKind = OutputPart | 'endOfAnswer';

/** Which parts a mode produces. */
export function partsForMode(mode: string): OutputPart[] {
  const [input, output] = mode.split('-to-');
  const parts: OutputPart[] = [];
  if (input === 'speech') parts.push('transcript');
  parts.push('answer');
  if (output === 'speech') parts.push('answerUnits');
  return parts;
}

export class ComParser {
  private readonly markerTexts: { text: string; kind: MarkerKind }[];
  private readonly holdPrefixes: string[];
  /** Index into parts of the last part started; -1 before the first marker. */
  private index = -1;
  /** Whether parts[index] is still being read. */
  private open = false;
  /** Bumped at every part start and end, so a token that crosses a boundary is not counted against a part. */
  private generation = 0;
  private finished = false;
  /** Text received but not yet emitted (it may be the start of a marker or a trailing separator). */
  private buf = '';
  private partText = '';
  private partTokens = 0;

  constructor(private readonly opts: ComParserOptions) {
    const m = opts.markers;
    this.markerTexts = [
      { text: m.transcript, kind: 'transcript' },
      { text: m.answer, kind: 'answer' },
      { text: m.answerUnits, kind: 'answerUnits' },
      { text: m.endOfAnswer, kind: 'endOfAnswer' },
    ];
    this.holdPrefixes = [...this.markerTexts.map((x) => x.text), m.separator];
  }

  /** True after the end of answer or an error; later tokens are ignored. */
  get done(): boolean {
    return this.finished;
  }

  /** The part being read, or undefined before the first marker and after the end. */
  get part(): OutputPart | undefined {
    return this.open && !this.finished ? this.opts.parts[this.index] : undefined;
  }

  /** Where the parser stands, or undefined once it is done. */
  get position(): ParserPosition | undefined {
    if (this.finished) return undefined;
    return { part: this.part, next: this.opts.parts[this.index + 1] ?? 'endOfAnswer' };
  }

  /** Token ids the model must not pick next (the grammar's, at this position); undefined without a grammar. */
  forbiddenNext(): ReadonlySet<number> | undefined {
    const position = this.position;
    return position && this.opts.grammar?.forbiddenAt(position);
  }

  push(token: ParserToken): ParserEvent[] {
    if (this.finished) return [];
    if (this.opts.isEndOfAnswer(token.id)) return this.endOfAnswer();
    const out: ParserEvent[] = [];
    const generation = this.generation;
    const unit = this.opts.unitOf(token.id);
    if (unit !== undefined) {
      this.onUnit(unit, out);
    } else if (this.opts.isForeign?.(token.id)) {
      this.fail(out, 'MODEL_OUTPUT_MALFORMED', `unexpected control token ${JSON.stringify(token.text)} in the answer`);
    } else {
      this.buf += token.text;
      this.scan(out);
    }
    if (!this.finished && this.generation === generation) this.countToken(out);
    return out;
  }

  /** The LM reached end of answer (node-llama-cpp stops at EOS without yielding it, so the engine calls this). */
  endOfAnswer(): ParserEvent[] {
    if (this.finished) return [];
    const out: ParserEvent[] = [];
    this.closeContent(out, true);
    if (!this.finished) this.onMarker('endOfAnswer', out);
    return out;
  }

  /** Generation stopped without an end of answer: closes the part in progress and reports the output as malformed. */
  flush(): ParserEvent[] {
    if (this.finished) return [];
    const out: ParserEvent[] = [];
    this.closeContent(out, true);
    if (!this.finished) {
      const what = this.index < 0 ? 'no chain-of-modality output' : `output ended without ${this.opts.markers.endOfAnswer}`;
      this.fail(out, 'MODEL_OUTPUT_MALFORMED', what);
    }
    return out;
  }

  private countToken(out: ParserEvent[]): void {
    this.partTokens++;
    const part = this.part;
    const cap = part === undefined ? MAX_TOKENS_BEFORE_FIRST_MARKER : this.opts.maxTokens[part];
    if (this.partTokens > cap) {
      const where = part === undefined ? 'before the first marker' : `in ${this.markerOf(part)}`;
      this.fail(out, 'MODEL_OUTPUT_TOO_LONG', `more than ${cap} tokens ${where}`);
    }
  }

  private onUnit(unit: number, out: ParserEvent[]): void {
    const part = this.part;
    if (part !== 'answerUnits') {
      this.fail(out, 'MODEL_OUTPUT_MALFORMED', `unit token <${unit}> ${this.where(part)}`);
      return;
    }
    if (!this.isIgnorable(this.buf)) {
      this.fail(out, 'MODEL_OUTPUT_MALFORMED', `text ${JSON.stringify(this.buf)} ${this.where(part)}`);
      return;
    }
    if (this.partTokens >= this.opts.maxTokens.answerUnits) {
      // Checked before emitting, so no unit past the cap reaches the vocoder.
      this.fail(out, 'MODEL_OUTPUT_TOO_LONG', `more than ${this.opts.maxTokens.answerUnits} tokens ${this.where(part)}`);
      return;
    }
    this.buf = '';
    const piece = this.opts.pieceUnits?.(unit);
    out.push({ type: 'units', units: piece ? [...piece] : [unit] });
  }

  /** Consumes complete markers in the buffer and emits the text that can no longer become one. */
  private scan(out: ParserEvent[]): void {
    for (;;) {
      const hit = this.findMarker();
      if (!hit) break;
      const after = this.buf.slice(hit.index + hit.text.length);
      this.buf = this.buf.slice(0, hit.index);
      this.closeContent(out, true);
      if (this.finished) return;
      this.buf = after;
      this.onMarker(hit.kind, out);
      if (this.finished) return;
    }
    this.closeContent(out, false);
  }

  private findMarker(): { index: number; text: string; kind: MarkerKind } | undefined {
    let best: { index: number; text: string; kind: MarkerKind } | undefined;
    for (const m of this.markerTexts) {
      const index = this.buf.indexOf(m.text);
      if (index >= 0 && (!best || index < best.index || (index === best.index && m.text.length > best.text.length))) {
        best = { index, text: m.text, kind: m.kind };
      }
    }
    return best;
  }

  /**
   * Emits the buffered content of the current part. When `final`, all of it (trimmed) and the part end;
   * otherwise only what cannot be the start of a marker or a trailing separator.
   */
  private closeContent(out: ParserEvent[], final: boolean): void {
    const part = this.part;
    const keep = final ? 0 : this.holdLength(this.buf);
    const ready = this.buf.slice(0, this.buf.length - keep);
    this.buf = this.buf.slice(ready.length);
    if (part === undefined || part === 'answerUnits') {
      if (!this.isIgnorable(ready)) {
        this.fail(out, 'MODEL_OUTPUT_MALFORMED', `text ${JSON.stringify(ready)} ${this.where(part)}`);
        return;
      }
      if (final && part !== undefined) this.endPart(out, part);
      return;
    }
    const body = this.partText === '' ? ready.trimStart() : ready;
    const text = this.trimTrailing(body);
    // Trailing whitespace and separators wait until the next character shows whether the part ends there.
    if (!final) this.buf = body.slice(text.length) + this.buf;
    if (text !== '') {
      this.partText += text;
      out.push({ type: 'text.delta', part, text });
    }
    if (final) this.endPart(out, part);
  }

  private endPart(out: ParserEvent[], part: OutputPart): void {
    out.push({ type: 'part.end', part, text: part === 'answerUnits' ? '' : this.partText, tokens: this.partTokens });
    this.open = false;
    this.generation++;
    this.partText = '';
    this.partTokens = 0;
  }

  private onMarker(kind: MarkerKind, out: ParserEvent[]): void {
    const parts = this.opts.parts;
    const next = parts[this.index + 1];
    if (kind === 'endOfAnswer') {
      if (next === undefined) {
        this.finished = true;
        out.push({ type: 'end' });
      } else {
        this.fail(out, 'MODEL_OUTPUT_MALFORMED', `${this.opts.markers.endOfAnswer} before ${this.markerOf(next)}`);
      }
      return;
    }
    if (next !== kind) {
      const wanted = next === undefined ? this.opts.markers.endOfAnswer : this.markerOf(next);
      this.fail(out, 'MODEL_OUTPUT_MALFORMED', `${this.markerOf(kind)} where ${wanted} was expected`);
      return;
    }
    this.index++;
    this.open = true;
    this.generation++;
    this.partTokens = 0;
    out.push({ type: 'part.start', part: kind });
  }

  /** Closes the part in progress with the text emitted so far, then reports the error; the parser is done. */
  private fail(out: ParserEvent[], code: ParserErrorCode, message: string): void {
    const part = this.part;
    if (part !== undefined) {
      out.push({ type: 'part.end', part, text: part === 'answerUnits' ? '' : this.partText, tokens: this.partTokens });
    }
    this.buf = '';
    this.open = false;
    this.finished = true;
    out.push({ type: 'error', code, message });
  }

  /** Length of the longest suffix of s that is a proper prefix of a marker or the separator. */
  private holdLength(s: string): number {
    let best = 0;
    for (const p of this.holdPrefixes) {
      for (let n = Math.min(p.length - 1, s.length); n > best; n--) {
        if (s.endsWith(p.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }

  private trimTrailing(s: string): string {
    const sep = this.opts.markers.separator;
    let end = s.length;
    for (;;) {
      if (end > 0 && /\s/.test(s[end - 1] ?? '')) end--;
      else if (sep !== '' && end >= sep.length && s.slice(end - sep.length, end) === sep) end -= sep.length;
      else break;
    }
    return s.slice(0, end);
  }

  /** Whitespace and separators carry nothing where no text is expected. */
  private isIgnorable(s: string): boolean {
    return this.trimTrailing(s) === '';
  }

  private where(part: OutputPart | undefined): string {
    return part === undefined ? 'before the first marker' : `in ${this.markerOf(part)}`;
  }

  private markerOf(kind: MarkerKind): string {
    return this.opts.markers[kind];
  }
}
