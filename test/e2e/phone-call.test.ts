// A phone call on the real model: a Twilio-shaped caller streams a recorded question as μ-law 8 kHz at real time,
// the gateway's VAD ends the turn, and the answer comes back as μ-law media with marks the caller acknowledges.
// The phone line carries no text, so the transcript and answer are read from a tap on the real engine.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { judge } from '../../server/src/loadtest/correctness.ts';
import { PhoneClient } from '../../server/src/loadtest/phone-client.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances, type Utterance } from '../../server/src/loadtest/utterances.ts';
import { startTestServer, type TestServer } from '../helpers/fake-engine.ts';
import { tapEngine, type TappedEngine } from '../helpers/engine-tap.ts';
import { MODEL_DIR, MODEL_READY } from '../integration/engine-model.ts';
import { describeIf } from '../helpers/requires.ts';

/**
 * Questions the shipped model still answers right through a phone line. Its unit encoder was trained on wideband
 * (16 kHz) speech only: band-limited to 4 kHz (by voxgate's resampler or by sox alike, with or without μ-law) it
 * mishears most questions, e.g. "what is two plus three" as "why is orn anothery" (docs/telephony.md, "Limits").
 * The gateway's part (codec, rates, VAD, marks) is what this test holds to; greetings survive the narrow band.
 */
const QUESTIONS = ['17-greeting', '18-greeting'];
const quiet = (ms: number) => new Float32Array(ms * 16);

describeIf(MODEL_READY, 'the shipped model, espeak-ng and sox')('phone call over /v1/twilio (real model, μ-law 8 kHz)', () => {
  let server: TestServer<TappedEngine>;
  let utterances: Utterance[];

  beforeAll(async () => {
    server = await startTestServer(createEngine({ modelDir: MODEL_DIR, maxSessions: 2 }).then(tapEngine));
    await server.server.gateway.ready;
    utterances = await loadUtterances(DEFAULT_UTTERANCES_DIR, QUESTIONS);
  });
  afterAll(async () => {
    await server?.close();
    await server?.engine.close();
  });

  it('answers a spoken question right, in μ-law media, every mark acknowledged', async () => {
    for (const u of utterances) {
      const phone = await PhoneClient.open(server.server.phoneUrl, { parameters: { mode: 'speech-to-speech' } });
      phone.start();
      await phone.speak(quiet(300));
      await phone.speak(u.pcm);
      const endOfQuestion = performance.now();
      let firstMediaAt = 0;
      const sawMedia = phone.until(() => phone.events('media').length > 0, 30_000, 'first media').then(() => (firstMediaAt = performance.now()));
      // A phone line keeps streaming while the answer plays: silence, 20 ms at a time.
      const silence = phone.speak(quiet(1500));
      await sawMedia;
      await silence;
      const done = server.engine.turnsDone().at(-1);
      await phone.until(() => server.engine.turnsDone().length > 0 && phone.acknowledgedMarks === phone.events('mark').length && phone.audioMs > 0, 30_000, 'the answer played out');
      const turn = server.engine.turnsDone().at(-1) ?? done;
      if (turn === undefined) throw new Error('no turn done');
      const transcript = server.engine.finalText('transcript.final', turn.turnId) ?? '';
      const answer = server.engine.finalText('answer.final', turn.turnId) ?? '';
      console.info(`phone ${u.id}: heard "${transcript}", answered "${answer}"; end of question → first media ${Math.round(firstMediaAt - endOfQuestion)} ms (includes the VAD's end-of-speech silence), server TTFA ${Math.round(turn.timings.ttfaMs ?? -1)} ms`);
      expect(judge(u, { transcript, answer }).answerOk).toBe(true);
      // All of the answer's audio reached the caller as μ-law (the resampler's tail may add a frame).
      expect(phone.audioMs).toBeGreaterThanOrEqual(turn.timings.audioMs - 20);
      expect(phone.audioMs).toBeLessThanOrEqual(turn.timings.audioMs + 60);
      expect(phone.events('clear')).toHaveLength(0);
      phone.stop();
      expect((await phone.closed).code).toBe(1000);
    }
  }, 120_000);

  it('barge-in: speaking over the answer gets `clear`, no more of that answer, and the new question is answered', async () => {
    const [greeting] = utterances;
    if (greeting === undefined) throw new Error('no utterance');
    const phone = await PhoneClient.open(server.server.phoneUrl);
    phone.start();
    await phone.speak(quiet(300));
    await phone.speak(greeting.pcm);
    const firstAnswer = phone.until(() => phone.acknowledgedMarks >= 8, 30_000, 'half a second of the answer played');
    while (phone.acknowledgedMarks < 8 && phone.isOpen) await phone.speak(quiet(20)); // the line carries silence meanwhile
    await firstAnswer;
    const sentBefore = phone.audioMs;
    const turnsBefore = server.engine.turnsDone().length;
    const turnsBeforeAt = server.engine.events.length;
    // The answer is several seconds long: speak over it.
    await phone.speak(greeting.pcm);
    await phone.until(() => phone.clears === 1, 10_000, 'clear');
    const clearAt = phone.received.findIndex((m) => m['event'] === 'clear');
    const interrupted = server.engine.events.find(({ event }) => event.type === 'interrupted');
    expect(interrupted).toBeDefined();
    const cutTurn = interrupted?.event.type === 'interrupted' ? interrupted.event.turnId : '';
    // The second question is answered after the clear: media follows it again. The line carries silence until that
    // turn is done; the cut turn's own turn.done can land after turnsBeforeAt (its generation may finish while the
    // caller speaks over it, on a loaded machine), and stopping the line then would leave the VAD no end of speech.
    const secondTurnDone = () =>
      server.engine.events.slice(turnsBeforeAt).some(({ event }) => (event.type === 'turn.done' || event.type === 'error') && event.turnId !== cutTurn);
    const silence = (async () => {
      while (phone.isOpen && !secondTurnDone()) await phone.speak(quiet(20));
    })();
    await phone.until(() => phone.received.slice(clearAt).filter((m) => m['event'] === 'media').length >= 5, 30_000, 'the second answer');
    expect(sentBefore).toBeGreaterThan(400);
    // Marks are named after their turn: nothing of the cut answer was sent after the clear.
    const marksAfter = phone.received.slice(clearAt).filter((m) => m['event'] === 'mark').map((m) => String((m['mark'] as { name: string }).name));
    expect(marksAfter.length).toBeGreaterThan(0);
    expect(marksAfter.filter((name) => name.startsWith(`${cutTurn}#`))).toEqual([]);
    expect(server.engine.turnsDone().length).toBeGreaterThanOrEqual(turnsBefore);
    // Hang up once the second answer is done: closing the engine right after a session closed mid-answer can
    // abort the process in native code (reported with issue 11's note; not the gateway's path under test here).
    await phone.until(secondTurnDone, 30_000, 'the second turn done');
    phone.stop();
    await phone.closed;
    await silence;
  }, 90_000);

  it('hears a greeting that starts with the stream, wherever the VAD frames fall in it (scored at the line rate, 8 kHz)', async () => {
    const [greeting] = utterances;
    if (greeting === undefined) throw new Error('no utterance');
    // No silence before the word (a caller who speaks as the call connects), and 10 / 20 ms of it: the 32 ms VAD
    // frames fall differently in the word each time. Scored at 16 kHz, this word was missed at one alignment.
    for (const leadMs of [0, 10, 20]) {
      const phone = await PhoneClient.open(server.server.phoneUrl, { parameters: { mode: 'speech-to-speech' } });
      phone.start();
      const doneBefore = server.engine.turnsDone().length;
      const pcm = new Float32Array(leadMs * 16 + greeting.pcm.length);
      pcm.set(greeting.pcm, leadMs * 16);
      await phone.speak(pcm);
      const answered = phone.until(() => phone.events('media').length > 0, 15_000, `media after a greeting ${leadMs} ms into the stream`);
      const silence = (async () => {
        while (phone.isOpen && phone.events('media').length === 0) await phone.speak(quiet(20));
      })();
      await answered;
      await silence;
      await phone.until(() => server.engine.turnsDone().length > doneBefore, 30_000, 'the turn done');
      const turn = server.engine.turnsDone().at(-1)!;
      expect(server.engine.finalText('transcript.final', turn.turnId) ?? '', `${leadMs} ms in`).toMatch(/hello/);
      phone.stop();
      await phone.closed;
    }
  }, 90_000);
});

