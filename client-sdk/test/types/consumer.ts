// An app's TypeScript against the installed voxgate-client, compiled under strict settings by
// test/e2e/client-sdk-package.test.ts. The @ts-expect-error lines prove the types are real: were any of them
// `any`, the expected error would not happen and the compile would fail.
import { ERROR_CODES, PROTOCOL_VERSION, VoiceClientError, decodeServerMessage, type ErrorCode, type ServerMessage } from 'voxgate-client';
import { VoxgateCall, type TurnReport, type VoxgateCallOptions } from 'voxgate-client/browser';
import { connect, readWav, writeWav, type NodeVoiceClientOptions } from 'voxgate-client/node';
import { connectWebRtc, type NodeWebRtcOptions } from 'voxgate-client/node/webrtc';

export const version: 1 = PROTOCOL_VERSION as 1;
export const codes: readonly ErrorCode[] = ERROR_CODES;

export async function oneTurn(url: string, questionWav: string): Promise<{ transcript: string; answer: string }> {
  const options: NodeVoiceClientOptions = { url, vad: false, mode: 'speech-to-speech' };
  const client = await connect(options);
  const question = await readWav(questionWav, 16000);
  const chunks: Float32Array[] = [];
  client.on('audio', (a) => chunks.push(a.pcm));
  const done = new Promise<{ transcript: string; answer: string }>((resolve) => {
    let transcript = '';
    client.on('transcript.final', (e) => (transcript = e.text));
    client.on('answer.final', (e) => resolve({ transcript, answer: e.text }));
  });
  client.sendAudio(question.pcm);
  client.commit();
  const result = await done;
  const first = chunks[0]; // noUncheckedIndexedAccess: possibly undefined
  if (first !== undefined) await writeWav('answer.wav', first, client.session.output.sampleRateHz);
  const closed = await client.end();
  if (closed.retryable) console.log(`may retry after ${closed.retryAfterMs ?? 0} ms`);
  // @ts-expect-error event names are checked
  client.on('answer.finished', () => {});
  return result;
}

export function describeFailure(err: unknown): string {
  if (err instanceof VoiceClientError) {
    const code: ErrorCode = err.code;
    return err.retryAfterMs === undefined ? code : `${code} (retry in ${err.retryAfterMs} ms)`;
  }
  return String(err);
}

export function parse(text: string): ServerMessage | undefined {
  const decoded = decodeServerMessage(text);
  return decoded.ok ? decoded.value : undefined;
}

export async function overWebRtc(url: string): Promise<string> {
  const webrtc: NodeWebRtcOptions = { gatherTimeoutMs: 1000 };
  const client = await connectWebRtc({ url, webrtc });
  return client.session.sessionId;
}

export async function browserCall(): Promise<TurnReport> {
  const options: VoxgateCallOptions = { transport: 'websocket', microphone: true };
  const call = await VoxgateCall.start(options);
  call.on('answer', (e) => console.log(e.final ? e.text : '…'));
  return new Promise((resolve) => call.on('turn', resolve));
}

// @ts-expect-error modes are a closed set
export const badMode: NodeVoiceClientOptions = { url: 'ws://x', mode: 'speech-to-nothing' };
// @ts-expect-error error codes are a closed set
export const badCode: ErrorCode = 'OOPS';
// @ts-expect-error transports are a closed set
export const badTransport: VoxgateCallOptions = { transport: 'carrier-pigeon' };
