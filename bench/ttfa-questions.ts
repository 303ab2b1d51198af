// The benchmark's callers: questions inside the default model's skills, spoken by espeak-ng voices.
import { execFileSync } from 'node:child_process';

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
  const wav = execFileSync('espeak-ng', ['-v', q.voice, '-s', String(q.speed), '--stdout', q.text], { maxBuffer: 64 << 20 });
  const raw = execFileSync('sox', ['-t', 'wav', '-', '-t', 'raw', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-'], {
    input: wav,
    maxBuffer: 64 << 20,
  });
  const out = new Float32Array(raw.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2) / 32768;
  return out;
}
