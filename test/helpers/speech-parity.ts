// torch's reference for a LLaSM folder's speech input (speech-parity.json beside the model, written by the recipe):
// the utterance, its adapted embeddings, and the answer torch gave after them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpeechParity {
  /** File (beside the json) of the utterance's float32 samples. */
  pcm: string;
  hopSamples: number;
  leftContextSamples: number;
  embeddings: number[][];
  before: number[];
  after: number[];
  expected: number[];
  margins: number[];
  maxNew: number;
}

/** The reference and its utterance's samples, from a model folder. */
export function readSpeechParity(modelDir: string): { parity: SpeechParity; pcm: Float32Array } {
  const parity = JSON.parse(readFileSync(join(modelDir, 'speech-parity.json'), 'utf8')) as SpeechParity;
  const bytes = readFileSync(join(modelDir, parity.pcm));
  return { parity, pcm: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}
