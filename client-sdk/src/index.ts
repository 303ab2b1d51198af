// voxgate client SDK, environment-neutral core. Node adds sockets and codecs in ./node/index.ts.
export { VoiceClient, type VoiceClientOptions, type VoiceClientEvents, type AudioReceived, type CloseInfo } from './client.ts';
export { VoiceClientError } from './errors.ts';
export type { SocketFactory, SocketLike, SocketEvents, SocketRequest } from './socket.ts';
export type { ClientCodecs, OpusEncoderLike, OpusDecoderLike } from './codecs.ts';
export { FrameChunker } from './audio/frames.ts';
export { Resampler } from './audio/resample.ts';
export * from './protocol/index.ts';
