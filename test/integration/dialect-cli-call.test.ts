// `voxgate call --transport twilio|realtime` as a user runs it (a child process) against a gateway on the fake engine.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, parseWav } from '../../client-sdk/src/node/wav.ts';
import { voxgate } from '../helpers/cli.ts';
import { startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer;
let dir: string;
let wav: string;

beforeAll(async () => {
  fake = await startFakeServer({ endOfSpeechSilenceMs: 300 }, { answerAudioMs: 500 });
  dir = mkdtempSync(join(tmpdir(), 'voxgate-dialect-call-'));
  const pcm = Float32Array.from({ length: 16000 * 0.6 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / 16000));
  wav = join(dir, 'in.wav');
  writeFileSync(wav, encodeWav(pcm, 16000));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('voxgate call over the other dialects (fake engine)', () => {
  it('--transport realtime: a spoken turn with transcript, answer and 24 kHz audio; a text turn', async () => {
    const out = join(dir, 'realtime.wav');
    const spoken = await voxgate(['call', '--transport', 'realtime', '--url', fake.server.realtimeUrl, '--wav', wav, '--json', '--out', out]);
    expect(spoken.code).toBe(0);
    const r = JSON.parse(spoken.stdout.trim()) as Record<string, any>;
    expect(r['transcript']).toBe('heard 600 ms');
    expect(r['answer']).toBe('you said: heard 600 ms');
    expect(r['audio']).toMatchObject({ path: out, sampleRateHz: 24000 });
    expect(r['audio'].durationMs).toBeGreaterThanOrEqual(500);
    expect(r['timings'].ttfaMs).toBeGreaterThanOrEqual(0);
    expect(parseWav(readFileSync(out)).sampleRateHz).toBe(24000);
    const typed = await voxgate(['call', '--transport', 'realtime', '--url', fake.server.realtimeUrl, '--text', 'hello', '--json']);
    expect(typed.code).toBe(0);
    expect(JSON.parse(typed.stdout.trim())).toMatchObject({ answer: 'you said: hello' });
  });

  it('--transport twilio: the answer comes back as 8 kHz phone audio', async () => {
    const out = join(dir, 'phone.wav');
    const r = await voxgate(['call', '--transport', 'twilio', '--url', fake.server.phoneUrl, '--wav', wav, '--json', '--out', out]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as Record<string, any>;
    expect(result['audio']).toMatchObject({ sampleRateHz: 8000 });
    expect(result['audio'].durationMs).toBeGreaterThanOrEqual(500);
    // No commit on a phone: the end of speech is the server's VAD silence (300 ms here) later.
    expect(result['timings'].ttfaMs).toBeGreaterThanOrEqual(300);
    const typed = await voxgate(['call', '--transport', 'twilio', '--url', fake.server.phoneUrl, '--text', 'hello']);
    expect(typed.code).not.toBe(0);
    expect(typed.stderr).toMatch(/speech only/);
  });
});
