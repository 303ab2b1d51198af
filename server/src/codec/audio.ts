// The PCM cores the server shares with the client SDK (one implementation, so both ends convert and
// resample identically): PCM16 ↔ float32, the rational resampler, the 20 ms frame chunker.
export {
  float32ToInt16,
  float32ToPcm16Bytes,
  int16ToFloat32,
  pcm16BytesToFloat32,
} from '../../../client-sdk/src/protocol/pcm16.ts';
export { Resampler } from '../../../client-sdk/src/audio/resample.ts';
export { FrameChunker } from '../../../client-sdk/src/audio/frames.ts';
