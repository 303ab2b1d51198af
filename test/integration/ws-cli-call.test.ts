// `voxgate call` as a user runs it (a child process) against a gateway on the fake engine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, parseWav } from '../../client-sdk/src/node/wav.ts';
import { voxgate } from '../helpers/cli.ts';
import { startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer;
let dir: string;

beforeAll(async () => {
  fake = await startFakeServer({}, { answerAudioMs: 500 });
  dir = mkdtempSync(join(tmpdir(), 'voxgate-call-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('voxgate call (fake engine)', () => {
  it('streams a WAV at real time and prints exactly one JSON object', async () => {
    // 600 ms at 22.05 kHz: the CLI resamples to 16 kHz.
    const rateHz = 22050;
    const pcm = Float32Array.from({ length: Math.round(rateHz * 0.6) }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / rateHz));
    const wav = join(dir, 'in.wav');
    const out = join(dir, 'answer.wav');
    writeFileSync(wav, encodeWav(pcm, rateHz));
    const t0 = performance.now();
    const r = await voxgate(['call', '--url', fake.server.voiceUrl, '--wav', wav, '--json', '--out', out]);
    expect(r.stderr.replace(/npm warn.*\n/g, '')).toBe('');
    expect(r.code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(600); // real time, not a burst
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0] ?? '') as Record<string, any>;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['transcript', 'answer', 'audio', 'timings']));
    expect(result['transcript']).toBe('heard 600 ms');
    expect(result['answer']).toBe('you said: heard 600 ms');
    expect(result['audio']).toMatchObject({ path: out, sampleRateHz: 16000 });
    expect(result['audio'].durationMs).toBeGreaterThanOrEqual(500);
    expect(result['timings'].ttfaMs).toBeGreaterThanOrEqual(0);
    expect(result['timings'].server).toMatchObject({ audioMs: 500 });
    const saved = parseWav(readFileSync(out));
    expect(saved.sampleRateHz).toBe(16000);
    expect(saved.pcm.length).toBeGreaterThanOrEqual(8000);
  });

  it('sends a text turn, and fails with a message on stderr and a non-zero exit when it cannot connect', async () => {
    const ok = await voxgate(['call', '--url', fake.server.voiceUrl, '--text', 'hello', '--mode', 'text-to-text', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ transcript: 'hello', answer: 'you said: hello', audio: null });

    const bad = await voxgate(['call', '--url', 'ws://127.0.0.1:1/v1/voice', '--text', 'hello', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('TRANSPORT_FAILED');
  });
});
