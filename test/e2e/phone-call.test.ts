// A phone call on the real model: a Twilio-shaped caller streams a recorded question as μ-law 8 kHz at real time,
// the gateway's VAD ends the turn, and the answer comes back as μ-law media with marks the caller acknowledges.
// The phone line carries no text, so the transcript and answer are read from a tap on the real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { judge } from '../../server/src/loadtest/correctness.ts';
import { PhoneClient } from '../../server/src/loadtest/phone-client.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances, type Utterance } from '../../server/src/loadtest/utterances.ts';
import { startTestServer, type TestServer } from '../helpers/fake-engine.ts';
import { tapEngine, type TappedEngine } from '../helpers/engine-tap.ts';
import { MODEL_DIR, MODEL_READY } from '../integration/engine-model.ts';

/**
 * Questions the shipped model still answers right through a phone line. Its unit encoder was trained on wideband
 * (16 kHz) speech only: band-limited to 4 kHz (by voxgate's resampler or by sox alike, with or without μ-law) it
 * mishears most questions, e.g. "what is two plus three" as "why is orn anothery" (docs/telephony.md, "Limits").
 * The gateway's part (codec, rates, VAD, marks) is what this test holds to; greetings survive the narrow band.
 */
const QUESTIONS = ['17-greeting', '18-greeting'];
const quiet = (ms: number) => new Float32Array(ms * 16);

// Under CI the model must be there: a missing model fails here instead of skipping.
describe.skipIf(!MODEL_READY && process.env['CI'] !== 'true')('phone call over /v1/twilio (real model, μ-law 8 kHz)', () => {
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
});
