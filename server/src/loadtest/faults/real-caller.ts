// The real callers of a fault run, over the wire: one spoken turn (a recorded utterance, 20 ms frames at a few
// times real time, then commit) and what came back; and a caller that hangs up the moment its answer's audio
// starts.
import WebSocket from 'ws';
import { connect, PROTOCOL_VERSION } from '../../../../client-sdk/src/node/index.ts';
import type { Utterance } from '../utterances.ts';

export interface HeardAnswer {
  transcript: string | undefined;
  answer: string | undefined;
  /** The error that ended the turn or the call, if any. */
  error: string | undefined;
}

const FRAME_SAMPLES = 320;

export async function spokenTurn(url: string, utterance: Utterance, speed = 4, token?: string): Promise<HeardAnswer> {
  let client;
  try {
    client = await connect({ url, mode: 'speech-to-text', vad: false, ...(token === undefined ? {} : { token }) });
  } catch (err) {
    return { transcript: undefined, answer: undefined, error: (err as Error).message };
  }
  const heard: HeardAnswer = { transcript: undefined, answer: undefined, error: undefined };
  try {
    const done = new Promise<void>((resolve) => {
      client.on('transcript.final', (ev) => (heard.transcript = ev.text));
      client.on('answer.final', (ev) => (heard.answer = ev.text));
      client.on('turn.done', () => resolve());
      client.on('error', (ev) => {
        heard.error = `${ev.code}: ${ev.message}`;
        if (ev.fatal || ev.turnId !== undefined) resolve();
      });
    });
    const t0 = performance.now();
    for (let at = 0, n = 0; at < utterance.pcm.length; at += FRAME_SAMPLES, n++) {
      client.sendAudio(utterance.pcm.subarray(at, at + FRAME_SAMPLES));
      const wait = t0 + ((n + 1) * 20) / speed - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    client.commit();
    await done;
  } finally {
    await client.end().catch(() => {});
  }
  return heard;
}

export type HangUpResult = 'hung-up' | `refused:${string}` | `failed:${string}`;

const START = {
  type: 'session.start',
  version: PROTOCOL_VERSION,
  mode: 'text-to-speech',
  input: { codec: 'pcm16', sampleRateHz: 16000 },
  output: { codec: 'pcm16', sampleRateHz: 16000 },
  vad: false,
};

/**
 * Asks for a spoken answer and drops the TCP connection (no close frame, as a phone line that goes dead) as soon
 * as the answer's audio starts.
 */
export function hangUpMidAnswer(url: string, question: string, timeoutMs = 60_000): Promise<HangUpResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const finish = (r: HangUpResult): void => {
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish('failed:no audio in time'), timeoutMs);
    ws.on('error', (err) => finish(`failed:${err.message}`));
    ws.on('open', () => ws.send(JSON.stringify(START)));
    ws.on('message', (data: Buffer, binary) => {
      if (binary) return finish('hung-up');
      const msg = JSON.parse(data.toString('utf8')) as { type: string; code?: string; fatal?: boolean };
      if (msg.type === 'session.started') ws.send(JSON.stringify({ type: 'input.text', text: question }));
      else if (msg.type === 'audio.start') finish('hung-up');
      else if (msg.type === 'error') finish(msg.fatal === true ? `refused:${msg.code}` : `failed:${msg.code}`);
    });
  });
}
