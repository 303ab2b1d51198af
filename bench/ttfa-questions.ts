// The benchmark's callers: questions inside the default model's skills, spoken by espeak-ng voices.
import { speak } from '../test/integration/engine-speech.ts';

export interface BenchQuestion {
  text: string;
  voice: string;
  speed: number;
}

export const QUESTIONS: BenchQuestion[] = [
  { text: 'what is two plus three', voice: 'en-us', speed: 160 },
  { text: 'what is seven times three', voice: 'en-gb', speed: 150 },
  { text: 'count from one to five', voice: 'en+f3', speed: 170 },
  { text: 'spell cat', voice: 'en-us+m3', speed: 160 },
  { text: 'what day comes after monday', voice: 'en-sc', speed: 165 },
  { text: 'repeat after me the cat sat on the mat', voice: 'en-us', speed: 175 },
  { text: 'hello', voice: 'en-gb', speed: 160 },
  { text: 'what is your name', voice: 'en+f3', speed: 155 },
  { text: 'what can you do', voice: 'en-us+m3', speed: 170 },
  { text: 'what number comes before ten', voice: 'en-sc', speed: 160 },
  { text: 'what is twelve minus four', voice: 'en-us', speed: 150 },
  { text: 'which month comes after may', voice: 'en-gb', speed: 170 },
];

/** Renders like the recipe: espeak-ng, resampled to 16 kHz mono by sox. */
export function render(q: BenchQuestion): Float32Array {
  return speak(q.text, q.voice, q.speed);
}
