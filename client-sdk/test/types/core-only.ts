// The environment-neutral core compiled with ES2022 alone (no DOM, no Node types): what an app on another
// runtime (a worker, an edge function) gets, bringing its own socket. Compiled by test/e2e/client-sdk-package.test.ts.
import { FrameChunker, PROTOCOL_VERSION, VoiceClient, encodeClientMessage, type SocketFactory } from 'voxgate-client';

export const version: number = PROTOCOL_VERSION;
export const hangUp: string = encodeClientMessage({ type: 'session.end' });
export const chunker = FrameChunker.forDuration(16000, 20);
export const openSocket: SocketFactory = (_req, events) => {
  void Promise.resolve().then(() => events.onOpen());
  return { send: () => {}, close: () => {}, bufferedAmount: 0 };
};
export const call = (): Promise<VoiceClient> => VoiceClient.connect({ url: 'wss://gateway.example/v1/voice', openSocket });
