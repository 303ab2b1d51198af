import { describe, expect, it } from 'vitest';
import { ComParser, partsForMode, type ParserEvent, type ParserToken } from '../../server/src/pipeline/com-parser.ts';
import type { LmMarkers } from '../../server/src/runtimes/manifest.ts';

const markers: LmMarkers = { transcript: '[tq]', answer: '[ta]', answerUnits: '[ua]', endOfAnswer: '<eoa>', separator: ';' };
const SPECIALS = ['<unk>', '<s>', '</s>', '[Human]:', '[Assistant]:', '<eoh>', '[tq]', '[ta]', '[ua]', '<eoa>', '<sosp>', '<eosp>', '<2s>', '<2t>', '<pad>'];
const FIRST_CHAR_ID = SPECIALS.length;
const FIRST_UNIT_ID = FIRST_CHAR_ID + 95;
const EOA_ID = SPECIALS.indexOf('<eoa>');

/** Tokenises like the default model: specials by longest match, `<n>` as unit n, anything else by character. */
function tokens(s: string): ParserToken[] {
  const out: ParserToken[] = [];
  let i = 0;
  while (i < s.length) {
    const special = SPECIALS.filter((t) => s.startsWith(t, i)).sort((a, b) => b.length - a.length)[0];
    const unit = /^<(\d+)>/.exec(s.slice(i));
    if (special) {
      out.push({ id: SPECIALS.indexOf(special), text: special });
      i += special.length;
    } else if (unit) {
      out.push({ id: FIRST_UNIT_ID + Number(unit[1]), text: unit[0] });
      i += unit[0].length;
    } else {
      out.push({ id: FIRST_CHAR_ID + s.charCodeAt(i) - 32, text: s[i] ?? '' });
      i++;
    }
  }
  return out;
}

function parser(mode: string, maxTokens = { transcript: 200, answer: 200, answerUnits: 900 }): ComParser {
  return new ComParser({
    parts: partsForMode(mode),
    markers,
    maxTokens,
    unitOf: (id) => (id >= FIRST_UNIT_ID && id < FIRST_UNIT_ID + 128 ? id - FIRST_UNIT_ID : undefined),
    isEndOfAnswer: (id) => id === EOA_ID,
    isForeign: (id) => id >= 0 && id < FIRST_CHAR_ID && !['[tq]', '[ta]', '[ua]', '<eoa>'].includes(SPECIALS[id] ?? ''),
  });
}

function run(p: ComParser, s: string, flush = true): ParserEvent[] {
  const events = tokens(s).flatMap((t) => p.push(t));
  return flush ? [...events, ...p.flush()] : events;
}

function summary(events: ParserEvent[]) {
  const text = (part: string) =>
    events.filter((e) => e.type === 'text.delta' && e.part === part).map((e) => (e.type === 'text.delta' ? e.text : '')).join('');
  const finals = Object.fromEntries(events.flatMap((e) => (e.type === 'part.end' ? [[e.part, e.text]] : [])));
  const units = events.flatMap((e) => (e.type === 'units' ? e.units : []));
  const errors = events.flatMap((e) => (e.type === 'error' ? [e.code] : []));
  const ended = events.some((e) => e.type === 'end');
  return { transcript: text('transcript'), answer: text('answer'), finals, units, errors, ended };
}

describe('ComParser on well-formed output', () => {
  it('parses speech-to-speech output into transcript, answer and units', () => {
    const s = summary(run(parser('speech-to-speech'), ' [tq] what is two plus three; [ta] five; [ua] <5><9><2><eoa>'));
    expect(s).toEqual({
      transcript: 'what is two plus three',
      answer: 'five',
      finals: { transcript: 'what is two plus three', answer: 'five', answerUnits: '' },
      units: [5, 9, 2],
      errors: [],
      ended: true,
    });
  });

  it('parses the other three modes', () => {
    expect(summary(run(parser('speech-to-text'), '[tq] hi; [ta] hello<eoa>'))).toMatchObject({ transcript: 'hi', answer: 'hello', ended: true, errors: [] });
    expect(summary(run(parser('text-to-speech'), '[ta] hello; [ua] <1><2><eoa>'))).toMatchObject({ answer: 'hello', units: [1, 2], ended: true, errors: [] });
    expect(summary(run(parser('text-to-text'), '[ta] hello there<eoa>'))).toMatchObject({ answer: 'hello there', ended: true, errors: [] });
  });

  it('streams text deltas token by token, holding back only a possible separator', () => {
    const p = parser('text-to-text');
    const deltas: string[][] = tokens('[ta] a; b;').map((t) => p.push(t).flatMap((e) => (e.type === 'text.delta' ? [e.text] : [])));
    // "[ta]", " ", "a", ";", " ", "b", ";": the "; " after a is released when b shows it was not the part end.
    expect(deltas).toEqual([[], [], ['a'], [], [], ['; b'], []]);
    expect(summary(p.endOfAnswer())).toMatchObject({ finals: { answer: 'a; b' }, ended: true });
  });

  it('accepts the end of answer from endOfAnswer() when the LM stops at EOS without yielding it', () => {
    const p = parser('text-to-speech');
    const events = [...run(p, '[ta] ok; [ua] <3><4>', false), ...p.endOfAnswer()];
    expect(summary(events)).toMatchObject({ answer: 'ok', units: [3, 4], ended: true, errors: [] });
    expect(p.done).toBe(true);
    expect(p.flush()).toEqual([]);
  });

  it('finds markers split across tokens and several markers inside one token (BPE vocabularies)', () => {
    const p = parser('speech-to-text');
    const pieces = ['[t', 'q] hel', 'lo; [', 'ta', '] wor', 'ld<eo', 'a>'];
    const events = pieces.flatMap((text, i) => p.push({ id: 5_000 + i, text }));
    expect(summary(events)).toMatchObject({ transcript: 'hello', answer: 'world', ended: true, errors: [] });
  });

  it('emits units as they arrive, before the end of answer', () => {
    const p = parser('text-to-speech');
    run(p, '[ta] x; [ua]', false);
    expect(p.push(tokens('<7>')[0]!)).toEqual([{ type: 'units', units: [7] }]);
    expect(p.part).toBe('answerUnits');
  });

  it('tolerates whitespace between units', () => {
    expect(summary(run(parser('text-to-speech'), '[ta] x; [ua] <1> <2>  <eoa>'))).toMatchObject({ units: [1, 2], ended: true, errors: [] });
  });

  it('hands on the spoken units an answer-unit piece stands for, in order, as one event', () => {
    const pieces = new Map([[130, [4, 5, 4]], [131, [9, 0]]]);
    const p = new ComParser({
      parts: partsForMode('text-to-speech'),
      markers,
      maxTokens: { transcript: 200, answer: 200, answerUnits: 3 },
      unitOf: (id) => (id >= FIRST_UNIT_ID && id < FIRST_UNIT_ID + 132 ? id - FIRST_UNIT_ID : undefined),
      pieceUnits: (unit) => pieces.get(unit),
      isEndOfAnswer: (id) => id === EOA_ID,
    });
    run(p, '[ta] x; [ua]', false);
    expect(p.push(tokens('<130>')[0]!)).toEqual([{ type: 'units', units: [4, 5, 4] }]);
    // The part's cap counts tokens (decode steps), not the units they stand for: three tokens, six units.
    expect(summary(run(p, '<7><131><eoa>'))).toMatchObject({ units: [7, 9, 0], ended: true, errors: [] });
  });
});

describe('ComParser on malformed output', () => {
  it('reports a missing first marker', () => {
    const s = summary(run(parser('speech-to-speech'), 'five; [ua] <1><eoa>'));
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
    expect(s.ended).toBe(false);
  });

  it('reports a skipped part marker and closes the part in progress', () => {
    const events = run(parser('speech-to-speech'), '[tq] hi; [ua] <1><eoa>');
    const s = summary(events);
    expect(s.finals).toEqual({ transcript: 'hi' });
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
    const err = events.find((e) => e.type === 'error');
    expect(err && err.type === 'error' ? err.message : '').toContain('[ua] where [ta] was expected');
  });

  it('reports a stray unit inside text and keeps the text read so far', () => {
    const s = summary(run(parser('speech-to-speech'), '[tq] hel<4>lo; [ta] x; [ua] <1><eoa>'));
    expect(s.finals).toEqual({ transcript: 'hel' });
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
    expect(s.units).toEqual([]);
  });

  it('reports text inside the unit part', () => {
    const s = summary(run(parser('text-to-speech'), '[ta] x; [ua] <1><2>oops<3><eoa>'));
    expect(s.units).toEqual([1, 2]);
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
  });

  it('reports output that ends without <eoa>', () => {
    const s = summary(run(parser('text-to-speech'), '[ta] x; [ua] <1><2>'));
    expect(s.units).toEqual([1, 2]);
    expect(s.finals).toEqual({ answer: 'x', answerUnits: '' });
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
  });

  it('reports an end of answer before the last part', () => {
    const s = summary(run(parser('speech-to-speech'), '[tq] hi; [ta] hello<eoa>'));
    expect(s.finals).toEqual({ transcript: 'hi', answer: 'hello' });
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
  });

  it('reports empty output', () => {
    expect(summary(parser('text-to-text').flush()).errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
    expect(summary(parser('text-to-text').endOfAnswer()).errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
  });

  it('reports prompt markers in the answer', () => {
    const s = summary(run(parser('text-to-text'), '[ta] hi [Human]: more<eoa>'));
    expect(s.errors).toEqual(['MODEL_OUTPUT_MALFORMED']);
    expect(s.finals).toEqual({ answer: 'hi' });
  });

  it('stops a runaway part at its maxTokens with MODEL_OUTPUT_TOO_LONG', () => {
    // A part's tokens are all tokens after its marker up to the next marker: " abcde; " is 8.
    const caps = { transcript: 8, answer: 8, answerUnits: 5 };
    expect(summary(run(parser('text-to-speech', caps), '[ta] abcde; [ua] <1><2><3> <eoa>'))).toMatchObject({ answer: 'abcde', units: [1, 2, 3], ended: true, errors: [] });
    const long = summary(run(parser('text-to-speech', caps), '[ta] abcdefghij; [ua] <1><eoa>'));
    expect(long.errors).toEqual(['MODEL_OUTPUT_TOO_LONG']);
    // The token that crosses the cap is still read (it could have closed the part), then the part ends.
    expect(long.finals.answer).toBe('abcdefgh');
    const units = summary(run(parser('text-to-speech', caps), '[ta] a; [ua] <1><2><3><4><5><eoa>'));
    expect(units.errors).toEqual(['MODEL_OUTPUT_TOO_LONG']);
    expect(units.units).toEqual([1, 2, 3, 4]);
  });

  it('caps whitespace before the first marker', () => {
    expect(summary(run(parser('text-to-text'), ' '.repeat(100))).errors).toEqual(['MODEL_OUTPUT_TOO_LONG']);
  });

  it('ignores everything after the first error and never throws on random tokens', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let trial = 0; trial < 200; trial++) {
      const p = parser(['speech-to-speech', 'speech-to-text', 'text-to-speech', 'text-to-text'][trial % 4] ?? 'text-to-text');
      const events: ParserEvent[] = [];
      for (let i = 0; i < 60; i++) {
        const id = Math.floor(rand() * (FIRST_UNIT_ID + 20));
        const text = id < FIRST_CHAR_ID ? (SPECIALS[id] ?? '') : id < FIRST_UNIT_ID ? String.fromCharCode(id - FIRST_CHAR_ID + 32) : `<${id - FIRST_UNIT_ID}>`;
        events.push(...p.push({ id, text }));
      }
      events.push(...p.flush());
      const terminal = events.filter((e) => e.type === 'error' || e.type === 'end');
      expect(terminal).toHaveLength(1);
      expect(events.at(-1)).toBe(terminal[0]);
    }
  });
});
