import { describe, expect, it } from 'vitest';
import type { EngineEvent, SessionOptions } from '../../server/src/engine/types.ts';
import { VoxSession } from '../../server/src/session/session.ts';
import { EOA, FakeSessionModel, FakeTokenSequence, isUnitToken, quiet, tokenize, tone, type FakeSequenceOptions, type FakeScript } from './engine-fakes.ts';

interface Harness {
  session: VoxSession;
  seq: FakeTokenSequence;
  model: FakeSessionModel;
  events: EngineEvent[];
  /** Resolves with the first event matching, waiting for it if needed. */
  next: (pred: (e: EngineEvent) => boolean, timeoutMs?: number) => Promise<EngineEvent>;
  types: (turnId?: string) => string[];
}

function harness(options: Partial<SessionOptions> = {}, seqOpts: FakeSequenceOptions = {}, model = new FakeSessionModel()): Harness {
  const seq = new FakeTokenSequence(seqOpts);
  const session = new VoxSession({ id: 's', model, sequence: seq, options: { mode: 'speech-to-speech', ...options }, now: () => performance.now() });
  const events: EngineEvent[] = [];
  const waiters: { pred: (e: EngineEvent) => boolean; resolve: (e: EngineEvent) => void }[] = [];
  session.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) {
      if (w.pred(e)) w.resolve(e);
      else waiters.push(w);
    }
  });
  const next = (pred: (e: EngineEvent) => boolean, timeoutMs = 5000) =>
    new Promise<EngineEvent>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`timed out; events: ${events.map((e) => e.type).join(', ')}`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  const types = (turnId?: string) => events.filter((e) => turnId === undefined || ('turnId' in e && e.turnId === turnId)).map((e) => e.type);
  return { session, seq, model, events, next, types };
}

const text = (events: EngineEvent[], type: 'transcript.final' | 'answer.final', turnId: string) => {
  const e = events.find((x) => x.type === type && x.turnId === turnId);
  return e && 'text' in e ? e.text : undefined;
};

function speakInto(session: VoxSession, pcm: Float32Array, chunk = 320): void {
  for (let at = 0; at < pcm.length; at += chunk) session.pushAudio(pcm.subarray(at, at + chunk));
}

const concat = (...parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe('engine session: text turns', () => {
  it('answers text-to-text with deltas, a final and timings, without audio', async () => {
    const h = harness({ mode: 'text-to-text' });
    h.session.pushText('Hello There');
    const done = await h.next((e) => e.type === 'turn.done');
    const turnId = done.type === 'turn.done' ? done.turnId : '';
    expect(text(h.events, 'answer.final', turnId)).toBe('you said hello there');
    expect(h.types(turnId)).not.toContain('audio.chunk');
    expect(h.types(turnId)).not.toContain('transcript.final');
    if (done.type !== 'turn.done') throw new Error();
    expect(done.mode).toBe('text-to-text');
    expect(done.timings.firstAnswerMs).toBeGreaterThanOrEqual(0);
    expect(done.timings.outputTextTokens).toBeGreaterThan(0);
    expect(done.timings.ttfaMs).toBeUndefined();
    await h.session.close();
    expect(h.seq.released).toBe(true);
  });

  it('speaks text-to-speech in chunks: first chunk early, then the rest, with TTFA', async () => {
    const h = harness({ mode: 'text-to-speech' });
    h.session.pushText('hi');
    const done = await h.next((e) => e.type === 'turn.done');
    if (done.type !== 'turn.done') throw new Error();
    const chunks = h.events.filter((e) => e.type === 'audio.chunk');
    const seq = h.types(done.turnId).filter((t) => t.startsWith('audio'));
    expect(seq[0]).toBe('audio.start');
    expect(seq.at(-1)).toBe('audio.end');
    // 30 units × 320 samples: the first chunk holds firstChunkUnits (5), later ones chunkUnits (10).
    const sizes = chunks.map((e) => (e.type === 'audio.chunk' ? e.pcm.length : 0));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30 * 320);
    expect(sizes[0]).toBe(5 * 320);
    expect(done.timings.outputUnits).toBe(30);
    expect(done.timings.audioMs).toBe(600);
    expect(done.timings.ttfaMs).toBeGreaterThanOrEqual(done.timings.firstAnswerMs ?? 0);
    expect(text(h.events, 'answer.final', done.turnId)).toBe('you said hi');
    await h.session.close();
  });

  it('starts an answer\'s audio at once when producing what follows is covered, and holds it when not', async () => {
    // A fast producer: the first chunk's 100 ms outlasts the next chunk's forecast; nothing is held.
    const fast = harness({ mode: 'text-to-speech' });
    fast.session.pushText('hi');
    const quick = await fast.next((e) => e.type === 'turn.done');
    if (quick.type !== 'turn.done') throw new Error();
    expect((quick.timings.ttfaMs ?? 0) - (quick.timings.firstAudioReadyMs ?? 0)).toBeLessThan(5);
    await fast.session.close();

    // A producer this model says is slow (80 ms a token): the first chunks cannot cover the next, so the audio waits
    // until generation and vocoding have ended, then goes out whole and in order.
    const slowModel = new (class extends FakeSessionModel {
      override tokenMsNow(): number {
        return 80;
      }
    })();
    const slow = harness({ mode: 'text-to-speech' }, { tokenDelayMs: 2 }, slowModel);
    slow.session.pushText('hi');
    const held = await slow.next((e) => e.type === 'turn.done');
    if (held.type !== 'turn.done') throw new Error();
    expect(held.timings.firstAudioReadyMs).toBeGreaterThan(0);
    expect(held.timings.ttfaMs).toBeGreaterThan((held.timings.firstAudioReadyMs ?? 0) + 20);
    const sizes = slow.events.map((e) => (e.type === 'audio.chunk' ? e.pcm.length : 0)).filter((n) => n > 0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30 * 320);
    expect(slow.types(held.turnId).filter((t) => t.startsWith('audio') || t === 'turn.done').at(-2)).toBe('audio.end');
    await slow.session.close();
  });

  it('cuts chunks early when the LLM slows after playout started, so the caller\'s audio never runs dry', async () => {
    // The first chunk (5 units, 100 ms of audio) comes at once and starts playing; then each token takes 15 ms, so the
    // second chunk's 10 units would take 150 ms against 100 ms in hand: waiting for it would be a 50 ms gap.
    let units = 0;
    const h = harness({ mode: 'text-to-speech' }, { tokenDelayMsAt: (_i, token) => (isUnitToken(token) && ++units > 5 ? 15 : 0) });
    const arrivals: { atMs: number; audioMs: number }[] = [];
    h.session.on((e) => {
      if (e.type === 'audio.chunk') arrivals.push({ atMs: performance.now(), audioMs: (e.pcm.length * 1000) / e.sampleRateHz });
    });
    h.session.pushText('hi');
    const done = await h.next((e) => e.type === 'turn.done');
    if (done.type !== 'turn.done') throw new Error();
    expect(done.timings.earlyChunks).toBeGreaterThanOrEqual(1);
    expect(arrivals.reduce((ms, a) => ms + a.audioMs, 0)).toBeCloseTo(30 * 20, 6); // every unit's audio, once
    // Played from the first chunk's arrival, frame after frame: no chunk comes 30 ms after the audio before it ran out.
    let playedUntilMs = arrivals[0]?.atMs ?? 0;
    const lateMs = arrivals.map((a) => {
      const late = a.atMs - playedUntilMs;
      playedUntilMs = Math.max(playedUntilMs, a.atMs) + a.audioMs;
      return late;
    });
    expect(Math.max(...lateMs)).toBeLessThan(30);
    await h.session.close();
  });

  it('takes a mode per turn and per session', async () => {
    const h = harness({ mode: 'text-to-speech' });
    h.session.pushText('a', 'text-to-text');
    const first = await h.next((e) => e.type === 'turn.done');
    h.session.setMode('text-to-text');
    h.session.pushText('b');
    const second = await h.next((e) => e.type === 'turn.done' && e.turnId !== (first.type === 'turn.done' ? first.turnId : ''));
    expect(first.type === 'turn.done' && first.mode).toBe('text-to-text');
    expect(second.type === 'turn.done' && second.mode).toBe('text-to-text');
    expect(h.events.some((e) => e.type === 'audio.chunk')).toBe(false);
    expect(() => h.session.setMode('speech-to-nothing' as never)).toThrow(/unknown mode/);
    await h.session.close();
  });
});

describe('engine session: speech turns', () => {
  it('detects a turn by VAD, prefills units while speaking, and answers in speech', async () => {
    const h = harness({ mode: 'speech-to-speech', endOfSpeechSilenceMs: 300 });
    speakInto(h.session, concat(quiet(200), tone(1200), quiet(500)));
    const done = await h.next((e) => e.type === 'turn.done');
    if (done.type !== 'turn.done') throw new Error();
    expect(h.types(done.turnId).slice(0, 2)).toEqual(['speech.started', 'speech.stopped']);
    const transcript = text(h.events, 'transcript.final', done.turnId) ?? '';
    expect(transcript).toMatch(/^\d+ units$/);
    expect(Number(transcript.split(' ')[0])).toBe(done.timings.inputUnits);
    expect(done.timings.inputUnits).toBeGreaterThan(50);
    expect(h.events.some((e) => e.type === 'audio.chunk')).toBe(true);
    // Units went in while the caller spoke: the generation's own input is only the tail.
    const tail = h.seq.generateInputs[0] ?? [];
    expect(tail.length).toBeLessThan(20);
    expect(h.seq.prefills.length).toBeGreaterThan(3);
    expect(done.timings.prefillTailMs).toBeGreaterThanOrEqual(0);
    // Mean time between generated tokens: between zero and the time from the first token to the turn's end.
    expect(done.timings.decodeMsPerToken).toBeGreaterThanOrEqual(0);
    expect(done.timings.decodeMsPerToken).toBeLessThanOrEqual(done.timings.totalMs - (done.timings.prefillTailMs ?? 0));
    await h.session.close();
  });

  it('ends a turn on commit when VAD is off, and trims silence as training did', async () => {
    const h = harness({ mode: 'speech-to-text', vad: false });
    speakInto(h.session, concat(quiet(1000), tone(500), quiet(1000)));
    h.session.commit();
    const done = await h.next((e) => e.type === 'turn.done');
    if (done.type !== 'turn.done') throw new Error();
    expect(h.types(done.turnId)).toContain('speech.started');
    expect(h.types(done.turnId)).not.toContain('audio.chunk');
    // 500 ms of tone + 50 ms pads: the silence units merge into one each side.
    expect(done.timings.inputUnits).toBeLessThan(60);
    expect(text(h.events, 'answer.final', done.turnId)).toMatch(/^you said \d+ units$/);
    await h.session.close();
  });

  it('reports a turn without speech and sends nothing to the LLM', async () => {
    const h = harness({ vad: false });
    speakInto(h.session, quiet(500));
    h.session.commit();
    h.session.pushText('after');
    await h.next((e) => e.type === 'turn.done');
    expect(h.events.some((e) => e.type === 'error')).toBe(false);
    expect(h.seq.text.startsWith('[Human]:after')).toBe(true);
    await h.session.close();
  });
});

describe('engine session: memory', () => {
  it('keeps earlier turns in the same sequence, each answer closed by <eoa>', async () => {
    const h = harness({ mode: 'text-to-text' });
    h.session.pushText('one');
    await h.next((e) => e.type === 'turn.done');
    h.session.pushText('two');
    await h.next((e) => e.type === 'turn.done' && e.turnId.endsWith('.2'));
    h.session.pushText('three');
    await h.next((e) => e.type === 'turn.done' && e.turnId.endsWith('.3'));
    expect(h.seq.text).toBe(
      '[Human]:one<2t><eoh>[Assistant]:[ta] you said one<eoa>[Human]:two<2t><eoh>[Assistant]:[ta] you said two<eoa>' +
        '[Human]:three<2t><eoh>[Assistant]:[ta] you said three',
    );
    await h.session.close();
  });

  it('drops the oldest turns when the context fills, not the session', async () => {
    const h = harness({ mode: 'text-to-text' }, { capacityTokens: 160 }, new FakeSessionModel({ answerReserveTokens: 40 }));
    for (let i = 1; i <= 6; i++) {
      h.session.pushText(`turn number ${i}`);
      const done = await h.next((e) => (e.type === 'turn.done' || e.type === 'error') && e.turnId?.endsWith(`.${i}`) === true);
      expect(done.type).toBe('turn.done');
    }
    const ctx = h.seq.text;
    expect(ctx.startsWith('[Human]:')).toBe(true);
    expect(ctx).toContain('you said turn number 6');
    expect(ctx).not.toContain('turn number 1<');
    expect(h.seq.tokenCount).toBeLessThanOrEqual(160);
    await h.session.close();
  });

  it('removes a malformed answer from memory and reports it without ending the session', async () => {
    let calls = 0;
    const script: FakeScript = (turn) => (++calls === 1 ? '[ta] fine<eoa>' : calls === 2 ? 'no markers at all<eoa>' : `[ta] ok ${turn.text}<eoa>`);
    const h = harness({ mode: 'text-to-text' }, { script });
    h.session.pushText('a');
    await h.next((e) => e.type === 'turn.done');
    h.session.pushText('b');
    const err = await h.next((e) => e.type === 'error');
    expect(err).toMatchObject({ code: 'MODEL_OUTPUT_MALFORMED', fatal: false, turnId: 's.2' });
    h.session.pushText('c');
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.3');
    expect(h.seq.text).toBe('[Human]:a<2t><eoh>[Assistant]:[ta] fine<eoa>[Human]:c<2t><eoh>[Assistant]:[ta] ok c');
    await h.session.close();
  });

  it('ends a runaway answer at maxTokens with MODEL_OUTPUT_TOO_LONG', async () => {
    const h = harness({ mode: 'text-to-text' }, { script: () => `[ta] ${'la '.repeat(200)}<eoa>` });
    h.session.pushText('sing');
    const err = await h.next((e) => e.type === 'error');
    expect(err).toMatchObject({ code: 'MODEL_OUTPUT_TOO_LONG', fatal: false });
    expect(h.types('s.1')).toContain('answer.final');
    expect(h.types('s.1')).not.toContain('turn.done');
    await h.session.close();
  });
});

describe('engine session: barge-in and cancel', () => {
  it('new speech during an answer cancels it at once, drops the unspoken units and answers the new turn', async () => {
    const h = harness({ mode: 'text-to-speech', endOfSpeechSilenceMs: 200 }, { tokenDelayMs: 3 });
    h.session.pushText('long answer please');
    await h.next((e) => e.type === 'audio.chunk');
    speakInto(h.session, tone(200));
    const interrupted = await h.next((e) => e.type === 'interrupted');
    const started = h.events.find((e) => e.type === 'speech.started');
    expect(interrupted).toMatchObject({ turnId: 's.1' });
    // Interrupted before (or as) the new turn is announced: within the frame that confirmed speech.
    expect(h.events.indexOf(interrupted)).toBeLessThan(h.events.indexOf(started!));
    const afterInterrupt = h.events.slice(h.events.indexOf(interrupted) + 1);
    expect(afterInterrupt.some((e) => 'turnId' in e && e.turnId === 's.1')).toBe(false);
    speakInto(h.session, quiet(400));
    const done = await h.next((e) => e.type === 'turn.done' && e.turnId === 's.2');
    expect(done).toBeTruthy();
    // The first answer keeps its text and at most the units heard, then <eoa>, then the new turn.
    const ctx = h.seq.text;
    const first = ctx.slice(0, ctx.indexOf('<eoa>'));
    expect(first.startsWith('[Human]:long answer please<2s><eoh>[Assistant]:[ta] you said long answer please; [ua]')).toBe(true);
    expect((first.match(/<\d+>/g) ?? []).length).toBeLessThan(30);
    expect(ctx.slice(ctx.indexOf('<eoa>') + 5).startsWith('[Human]:<sosp>')).toBe(true);
    await h.session.close();
  });

  it('asks the transport\'s Playout, the one owner of what was heard: it decides barge-in and what stays in memory', async () => {
    // A fake playout, as a phone provider's marks would report it: the whole answer is still queued, none heard.
    const heard = { playing: true, heardMs: 0 };
    const playout = { heardMs: () => heard.heardMs, playing: () => heard.playing };
    const h = harness({ mode: 'text-to-speech', endOfSpeechSilenceMs: 200, playout });
    h.session.pushText('long answer please');
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.1');
    speakInto(h.session, tone(200));
    expect(await h.next((e) => e.type === 'interrupted')).toMatchObject({ turnId: 's.1' });
    speakInto(h.session, quiet(400));
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.2');
    // Nothing was heard: the answer keeps its text and none of its units.
    const ctx = h.seq.text;
    const first = ctx.slice(0, ctx.indexOf('<eoa>'));
    expect(first).toMatch(/\[ta\] you said long answer please; \[ua\] ?$/);

    // The playout says the second answer has played out: speech right after it is a new turn, nothing is cut,
    // even though the answer's audio left the engine only moments ago.
    heard.playing = false;
    h.session.pushText('another long answer');
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.3');
    speakInto(h.session, tone(200));
    await h.next((e) => e.type === 'speech.started' && e.turnId === 's.4');
    expect(h.events.filter((e) => e.type === 'interrupted')).toHaveLength(1);
    await h.session.close();
  });

  it('cancel() stops an answer; the next turn follows a closed answer', async () => {
    const h = harness({ mode: 'text-to-text' }, { tokenDelayMs: 5 });
    h.session.pushText('first question here');
    await h.next((e) => e.type === 'answer.delta');
    h.session.cancel();
    await h.next((e) => e.type === 'interrupted');
    h.session.pushText('next');
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.2');
    expect(h.types('s.1')).not.toContain('turn.done');
    const ctx = h.seq.text;
    expect(ctx).toMatch(/^\[Human\]:first question here<2t><eoh>\[Assistant\]:\[ta\] y[^<]*<eoa>\[Human\]:next/);
    h.session.cancel(); // nothing to cancel: no event
    await new Promise((r) => setTimeout(r, 20));
    expect(h.events.filter((e) => e.type === 'interrupted')).toHaveLength(1);
    await h.session.close();
  });

  it('a text turn during an answer interrupts it', async () => {
    const h = harness({ mode: 'text-to-text' }, { tokenDelayMs: 5 });
    h.session.pushText('first');
    await h.next((e) => e.type === 'answer.delta');
    h.session.pushText('second');
    await h.next((e) => e.type === 'turn.done' && e.turnId === 's.2');
    expect(h.types('s.1')).toContain('interrupted');
    await h.session.close();
  });
});

describe('engine session: isolation', () => {
  it('two sessions answer side by side; a failing one does not touch the other', async () => {
    const a = harness({ mode: 'text-to-speech' }, { tokenDelayMs: 1 });
    const b = harness({ mode: 'text-to-text' }, { failGenerate: true });
    a.session.pushText('alpha');
    b.session.pushText('beta');
    const [done, err] = await Promise.all([a.next((e) => e.type === 'turn.done'), b.next((e) => e.type === 'error')]);
    expect(done.type).toBe('turn.done');
    expect(err).toMatchObject({ code: 'INTERNAL', fatal: false });
    expect(text(a.events, 'answer.final', 's.1')).toBe('you said alpha');
    await Promise.all([a.session.close(), b.session.close()]);
  });

  it('survives a throwing listener and closes idempotently', async () => {
    const h = harness({ mode: 'text-to-text' });
    h.session.on(() => {
      throw new Error('listener bug');
    });
    h.session.pushText('x');
    await h.next((e) => e.type === 'turn.done');
    await Promise.all([h.session.close(), h.session.close()]);
    h.session.pushText('ignored');
    h.session.pushAudio(tone(100));
    expect(h.seq.released).toBe(true);
  });

  it('uses the end-of-answer token the model was trained with between turns', () => {
    expect(tokenize('<eoa>')).toEqual([EOA]);
  });
});
