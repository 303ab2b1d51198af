// The LLaSM model folder as users run it: `voxgate ask` in every mode and a live call through `voxgate serve`,
// on the real components (speech.onnx streaming adapted embeddings into the ONNX LM, the vocoder).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeWav } from '../../client-sdk/src/node/wav.ts';
import { startGateway, type GatewayProcess } from '../../bench/capacity-gateway.ts';
import { loadManifest } from '../../server/src/runtimes/manifest.ts';
import { describeIf } from '../helpers/requires.ts';
import { voxgate } from '../helpers/cli.ts';
import { hasEspeak, speak } from './engine-speech.ts';

const LLASM_DIR = new URL('../../models/voxgate-llasm-tiny-en', import.meta.url).pathname;
const READY = existsSync(join(LLASM_DIR, 'manifest.json')) && hasEspeak();
// A voice the adaptor never trained on (espeak-ng's dev pool in the recipe).
const QUESTION = { text: 'what is your name', voice: 'en-gb+f4', answer: 'my name is voxgate' };

describeIf(READY, 'models/voxgate-llasm-tiny-en and espeak-ng')('the LLaSM model: adapted speech embeddings into the ONNX LM', () => {
  let dir: string;
  let wav: string;
  let gateway: GatewayProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voxgate-llasm-'));
    wav = join(dir, 'q.wav');
    writeFileSync(wav, encodeWav(speak(QUESTION.text, QUESTION.voice, 160), 16000));
  });
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares embeddings input and the ONNX runtime', () => {
    const m = loadManifest(LLASM_DIR);
    expect(m.lm.runtime).toBe('onnx');
    expect(m.lm.inputKind).toBe('embeddings');
  });

  for (const mode of ['speech-to-speech', 'speech-to-text', 'text-to-speech', 'text-to-text'] as const) {
    it(`voxgate ask answers in ${mode}`, async () => {
      const out = join(dir, `${mode}.wav`);
      const input = mode.startsWith('speech') ? ['--wav', wav] : ['--text', QUESTION.text];
      const r = await voxgate(['ask', '--model', LLASM_DIR, ...input, '--mode', mode, '--json', ...(mode.endsWith('speech') ? ['--out', out] : [])], 120_000);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { transcript: string | null; answer: string };
      console.log(`llasm ${mode}: heard ${JSON.stringify(result.transcript)}, answered ${JSON.stringify(result.answer)}`);
      expect(result.answer).toBe(QUESTION.answer);
      if (mode.startsWith('speech')) expect(result.transcript).toBe(QUESTION.text);
      if (mode.endsWith('speech')) expect(statSync(out).size).toBeGreaterThan(16000);
    }, 150_000);
  }

  it('answers a live call through voxgate serve --model', async () => {
    gateway = await startGateway({ modelDir: LLASM_DIR, maxSessions: 2 });
    const r = await voxgate(['call', '--url', gateway.voiceUrl, '--wav', wav, '--json'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { transcript: string | null; answer: string };
    console.log(`llasm live call: heard ${JSON.stringify(result.transcript)}, answered ${JSON.stringify(result.answer)}`);
    expect(result.answer).toBe(QUESTION.answer);
  }, 180_000);
});
