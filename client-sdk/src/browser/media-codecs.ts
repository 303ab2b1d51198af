// Over WebRTC the browser itself encodes the caller's Opus and decodes the answer's (RTP tracks), so the client
// core never codes audio on that path. It still needs codecs for an Opus session: these refuse to be used.
import type { ClientCodecs } from '../codecs.ts';

const notHere = (): never => {
  throw new Error('voxgate: over WebRTC the audio travels on the media tracks, not through the client core');
};

export const mediaTrackCodecs: ClientCodecs = {
  createOpusEncoder: () => ({ encode: notHere }),
  createOpusDecoder: () => Promise.resolve({ decode: notHere }),
};
