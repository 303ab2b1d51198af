// One question, one answer, collected: the CLI's `ask`, the benchmark and tests use it. Audio is pushed
// at once and committed (no VAD), so end of input is the commit and TTFA excludes endpointing silence.
import { GatewayError } from '../errors.ts';
import type { Engine, EngineEvent, EngineSession, Mode, TurnTimings } from './types.ts';

export interface OneTurnInput {
  mode: Mode;
  /** Caller text (text-to-* modes). */
  text?: string;
  /** Caller speech, mono at the model's rate (speech-to-* modes). */
  pcm?: Float32Array;
  /** Samples per pushAudio call. */
  chunkSamples?: number;
  signal?: AbortSignal;
}

export interface OneTurnResult {
  transcript: string | null;
  answer: string;
  /** Mono float32 at sampleRateHz; empty for text answers. */
  audio: Float32Array;
  sampleRateHz: number;
  timings: TurnTimings;
  mode: Mode;
  /** Every event, in order (tests check their order). */
  events: EngineEvent[];
}

export async function runOneTurn(engine: Engine, input: OneTurnInput): Promise<OneTurnResult> {
  const session = await engine.openSession({ mode: input.mode, vad: false });
  try {
    return await runTurnIn(session, input);
  } finally {
    await session.close();
  }
}

/**
 * One turn in a session already open (several in a row make a conversation: each turn's prompt follows the
 * earlier turns the manifest's lm.earlierTurns keeps). The session's mode is set to the input's.
 */
export async function runTurnIn(session: EngineSession, input: OneTurnInput): Promise<OneTurnResult> {
  const speech = input.mode.startsWith('speech');
  if (speech ? !input.pcm : input.text === undefined) {
    throw new GatewayError('BAD_REQUEST', speech ? `${input.mode} needs audio` : `${input.mode} needs text`);
  }
  session.setMode(input.mode);
  const events: EngineEvent[] = [];
  const chunks: Float32Array[] = [];
  let sampleRateHz = 16000;
  let unsubscribe = (): void => undefined;
  try {
    const done = new Promise<TurnTimings>((resolve, reject) => {
      unsubscribe = session.on((e) => {
        events.push(e);
        if (e.type === 'audio.chunk') {
          chunks.push(e.pcm);
          sampleRateHz = e.sampleRateHz;
        } else if (e.type === 'turn.done') {
          resolve(e.timings);
        } else if (e.type === 'error') {
          reject(new GatewayError(e.code, e.message));
        } else if (e.type === 'interrupted') {
          reject(new GatewayError('INTERNAL', 'the answer was interrupted'));
        }
      });
      input.signal?.addEventListener('abort', () => reject(new GatewayError('SHUTTING_DOWN', 'aborted')), { once: true });
    });
    if (speech && input.pcm) {
      const step = input.chunkSamples ?? 320;
      for (let at = 0; at < input.pcm.length; at += step) session.pushAudio(input.pcm.subarray(at, at + step));
      session.commit();
    } else {
      session.pushText(input.text ?? '', input.mode);
    }
    const timings = await done;
    const finalText = (type: 'transcript.final' | 'answer.final') => {
      const e = events.find((x) => x.type === type);
      return e && 'text' in e ? e.text : undefined;
    };
    const audio = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) (audio.set(c, at), (at += c.length));
    const doneEvent = events.find((e) => e.type === 'turn.done');
    return {
      transcript: finalText('transcript.final') ?? null,
      answer: finalText('answer.final') ?? '',
      audio,
      sampleRateHz,
      timings,
      mode: doneEvent?.type === 'turn.done' ? doneEvent.mode : input.mode,
      events,
    };
  } finally {
    unsubscribe();
  }
}
