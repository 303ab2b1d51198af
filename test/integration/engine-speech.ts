// Renders caller speech with espeak-ng + sox, as the model's training data was rendered.
import { execFileSync } from 'node:child_process';

export function hasEspeak(): boolean {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Mono float32 PCM at 16 kHz, untrimmed (espeak's own leading and trailing silence kept). */
export function speak(text: string, voice = 'en-us', speed = 160, pitch = 50): Float32Array {
  const wav = execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', text], { maxBuffer: 64 << 20 });
  const raw = execFileSync('sox', ['-t', 'wav', '-', '-t', 'raw', '-r', '16000', '-e', 'signed-integer', '-b', '16', '-c', '1', '-'], {
    input: wav,
    maxBuffer: 64 << 20,
  });
  const out = new Float32Array(raw.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = raw.readInt16LE(i * 2) / 32768;
  return out;
}
