// SpeechInput at a pause and at the end of a turn, with a fake window encoder that counts its runs (the real
// units.onnx path is test/integration/encoder-units-onnx.test.ts): what was said is encoded once the caller falls
// quiet, not when a full run has gathered, and quiet audio at the end of the turn is never encoded.
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

/** The fake model and conversation SpeechInput needs: a prompt of two markers, unit tokens offset by 100. */
function fakes(encoder: CountingEncoder) {
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
  return { model, conversation, sent };
}

const loud = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 2 ? 0.3 : -0.3));

async function feed(input: SpeechInput, pcm: Float32Array): Promise<void> {
  for (let at = 0; at < pcm.length; at += 320) {
    input.pushAudio(pcm.subarray(at, at + 320));
    await new Promise((r) => setImmediate(r));
  }
}

describe('SpeechInput at pauses', () => {
  it('encodes what was said once the caller falls quiet, and never the quiet at the end', async () => {
    const encoder = new CountingEncoder();
    const { model, conversation, sent } = fakes(encoder);
    const input = new SpeechInput(model, conversation, 't1', 'speech-to-text');
    // 2,400 samples of speech: one full run (1,600) goes; 800 wait.
    await feed(input, loud(2400));
    expect(encoder.windows).toEqual([10]);
    // Quiet: the trim keeps units that end by the speech's end + pad (800), 19 hops (3,040 samples). At 640 samples
    // of quiet a hop past that has not yet come; at 960 it has, so what waits (1,760 samples) goes in a window of its
    // own, before a full run of 1,600 more would have gathered.
    await feed(input, new Float32Array(640));
    expect(encoder.windows).toEqual([10]);
    await feed(input, new Float32Array(320));
    expect(encoder.windows).toEqual([10, 11]);
    // More quiet: its full runs are encoded (speech may yet resume), the rest never is.
    await feed(input, new Float32Array(1600));
    const runs = encoder.windows.length;
    const end = await input.end();
    expect(encoder.windows).toHaveLength(runs);
    // Kept: 15 hops of speech (unit 3) and 4 of pad (unit 0); the tail is only the prompt's suffix.
    expect(sent).toEqual([1, ...Array.from({ length: 15 }, () => 103), ...Array.from({ length: 4 }, () => 100)]);
    expect(end).toEqual({ tail: [2], startsTurn: false });
    expect(input.inputUnits).toBe(19);
  });

  it('ending mid-speech encodes what is left', async () => {
    const encoder = new CountingEncoder();
    const { model, conversation, sent } = fakes(encoder);
    const input = new SpeechInput(model, conversation, 't1', 'speech-to-text');
    await feed(input, loud(2400));
    const end = await input.end();
    expect(encoder.windows).toEqual([10, 5]);
    expect(sent).toEqual([1, ...Array.from({ length: 10 }, () => 103)]);
    expect(end).toEqual({ tail: [103, 103, 103, 103, 103, 2], startsTurn: false });
  });
});
