// The SDK for Node: the environment-neutral client with `ws` sockets and Opus codecs plugged in.
import { VoiceClient, type VoiceClientOptions } from '../client.ts';
import { nodeCodecs } from './opus.ts';
import { openNodeSocket } from './socket.ts';

export type NodeVoiceClientOptions = Omit<VoiceClientOptions, 'openSocket' | 'codecs'> & Partial<Pick<VoiceClientOptions, 'openSocket' | 'codecs'>>;

/** Connects and starts a session; rejects with VoiceClientError (code, retryAfterMs) when refused. */
export function connect(opts: NodeVoiceClientOptions): Promise<VoiceClient> {
  return VoiceClient.connect({ openSocket: openNodeSocket, codecs: nodeCodecs, ...opts });
}

export { nodeCodecs, openNodeSocket };
export { readWav, writeWav, parseWav, encodeWav, resampleTo, WavError, type WavAudio } from './wav.ts';
export * from '../index.ts';
