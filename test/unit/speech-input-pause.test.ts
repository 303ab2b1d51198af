// SpeechInput at a pause and at the end of a turn, with a fake window encoder that counts its runs (the real
// units.onnx path is test/integration/encoder-units-onnx.test.ts): what was said is encoded once the caller falls
// quiet, not when a full run has gathered, and goes to the LLM with the next window or the generation's tail; quiet
// audio at the end of the turn is never encoded.
import { describe, expect, it } from 'vitest';
import { SpeechInput } from '../../server/src/session/speech-input.ts';
import { UnitEncoderStream, type WindowEncoder } from '../../server/src/runtimes/unit-encoder.ts';
import type { SessionModel } from '../../server/src/session/session-model.ts';
import type { Conversation } from '../../server/src/session/conversation.ts';

const HOP = 160;

/** A fake encoder: unit = the hop's rounded peak × 10 (silence 0), so units say what the window held. */
class CountingEncoder implements WindowEncoder {
  readonly hopSamples = HOP;
  readonly leftContextSamples = 480;
  windows: number[] = [];
  async encodeWindow(pcm: Float32Array): Promise<number[]> {
    const hops = Math.floor((pcm.length - this.leftContextSamples) / HOP);
    this.windows.push(hops);
    return Array.from({ length: hops }, (_, i) => {
      const hop = pcm.subarray(this.leftContextSamples + i * HOP, this.leftContextSamples + (i + 1) * HOP);
      return Math.round(Math.max(...Array.from(hop, Math.abs)) * 10);
    });
  }
}

/** A SpeechInput on fakes: a prompt of two markers, unit tokens offset by 100; `sent`: what reached the LLM. */
function fakes() {
  const encoder = new CountingEncoder();
  const sent: number[] = [];
  const model = {
    hopSamples: HOP,
    mergeRepeats: false,
    // Runs of 100 ms (1,600 samples), as the real encoder waits for long runs.
    openUnitStream: () => new UnitEncoderStream(encoder, { runEveryMs: 100, sampleRateHz: 16000 }),
    prompt: () => ({ before: [1], after: [2] }),
    unitTokens: (units: readonly number[]) => units.map((u) => 100 + u),
  } as unknown as SessionModel;
  const conversation = {
    append: async (tokens: readonly number[]) => {
      sent.push(...tokens);
    },
  } as unknown as Conversation;
  const input = new SpeechInput(model, conversation, 't1', 'speech-to-text');
  return { encoder, input, sent };
}

const loud = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 2 ? 0.3 : -0.3));

async function feed(input: SpeechInput, pcm: Float32Array): Promise<void> {
  for (let at = 0; at < pcm.length; at += 320) {
    input.pushAudio(pcm.subarray(at, at + 320));
    await new Promise((r) => setImmediate(r));
  }
}

describe('SpeechInput at pauses', () => {
  it('encodes what was said once the caller falls quiet, sends it with the tail, and never encodes the quiet at the end', async () => {
    const { encoder, input, sent } = fakes();
    // 2,000 samples of speech: one full run (1,600 samples, 10 hops) goes to the LLM at once; 400 wait.
    await feed(input, loud(2000));
    expect(encoder.windows).toEqual([10]);
    expect(sent).toEqual([1, ...Array.from({ length: 10 }, () => 103)]);
    // Quiet: the trim keeps units that end by the speech's end + pad (800): 17 hops (2,720 samples). At 640 samples of
    // quiet a hop past that has not come yet; at 960 it has, and what waits (1,360 samples, 8 whole hops) is encoded
    // at once, long before a full run of 1,600 would have gathered.
    await feed(input, new Float32Array(640));
    expect(encoder.windows).toEqual([10]);
    await feed(input, new Float32Array(320));
    expect(encoder.windows).toEqual([10, 8]);
    // Its units wait for the tail (no prefill of their own at a speaking caller's priority).
    expect(sent).toHaveLength(11);
    // More quiet: a full run is encoded (speech may yet resume); its units are past the kept part.
    await feed(input, new Float32Array(1600));
    expect(encoder.windows).toEqual([10, 8, 10]);
    const end = await input.end();
    // End of speech encodes nothing: only quiet is left.
    expect(encoder.windows).toEqual([10, 8, 10]);
    // Kept: hops 10-12 speech (unit 3), 13-16 pad (unit 0), in the tail before the prompt's suffix.
    expect(end).toEqual({ tail: [103, 103, 103, 100, 100, 100, 100, 2], startsTurn: false });
    expect(sent).toHaveLength(11);
    expect(input.inputUnits).toBe(17);
  });

  it('speech resuming after a pause sends the pause window\'s units with the next window\'s, in order', async () => {
    const { encoder, input, sent } = fakes();
    await feed(input, loud(2000));
    await feed(input, new Float32Array(960));
    expect(encoder.windows).toEqual([10, 8]);
    await feed(input, loud(1600));
    expect(encoder.windows).toEqual([10, 8, 10]);
    const ten = Array.from({ length: 10 }, () => 103);
    // The pause's 7 kept units, then hop 17 (quiet, held until speech resumed) and the new window's 10.
    expect(sent).toEqual([1, ...ten, 103, 103, 103, 100, 100, 100, 100, 100, ...ten]);
    expect(await input.end()).toEqual({ tail: [2], startsTurn: false });
    expect(encoder.windows).toHaveLength(3);
    expect(input.inputUnits).toBe(28);
  });

  it('ending mid-speech encodes what is left', async () => {
    const { encoder, input, sent } = fakes();
    await feed(input, loud(2400));
    const end = await input.end();
    expect(encoder.windows).toEqual([10, 5]);
    expect(sent).toEqual([1, ...Array.from({ length: 10 }, () => 103)]);
    expect(end).toEqual({ tail: [103, 103, 103, 103, 103, 2], startsTurn: false });
  });
});
