// The load tester end to end against a gateway on the fake engine (test/helpers/fake-engine.ts), which answers
// "heard N ms" / "you said: heard N ms" for N ms of speech: questions of known length have known answers.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../client-sdk/src/node/wav.ts';
import { writeReport } from '../../server/src/loadtest/report/write.ts';
import { runLoad, type LoadPlan } from '../../server/src/loadtest/run.ts';
import { summarize } from '../../server/src/loadtest/summary.ts';
import { makeConnector, offerUrlFor } from '../../server/src/loadtest/transports.ts';
import { loadUtterances, type Utterance } from '../../server/src/loadtest/utterances.ts';
import { attachBrowserEndpoints } from '../../server/src/http/webrtc-attach.ts';
import { freePort } from '../../server/src/loadtest/fleet/processes.ts';
import { startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let dir: string;
let utterances: Utterance[];

function tone(ms: number): Float32Array {
  return Float32Array.from({ length: ms * 16 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxgate-loadtest-'));
  const entries = [400, 600].map((ms) => ({ id: `tone-${ms}`, file: `tone-${ms}.wav`, skill: 'tone', transcript: `heard ${ms} ms`, answer: `you said: heard ${ms} ms` }));
  for (const e of entries) await writeFile(join(dir, e.file), encodeWav(tone(Number(e.id.slice(5))), 16000));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ utterances: entries }));
  utterances = await loadUtterances(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function plan(server: FakeServer | undefined, over: Partial<LoadPlan> = {}): LoadPlan {
  return {
    url: server?.server.voiceUrl ?? '',
    callers: 2,
    rampPerSecond: 20,
    durationS: 0,
    turns: 2,
    transport: 'ws',
    codec: 'pcm16',
    utterances,
    bargeInShare: 0,
    turnTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    underrunToleranceMs: 30,
    thinkMs: 50,
    seed: 1,
    ...over,
  };
}

describe('voxgate loadtest on the fake engine', () => {
  it('loads the utterance index, and only the ids or skills asked for', async () => {
    expect(utterances.map((u) => [u.id, u.durationMs])).toEqual([['tone-400', 400], ['tone-600', 600]]);
    expect((await loadUtterances(dir, ['tone-600'])).map((u) => u.id)).toEqual(['tone-600']);
    await expect(loadUtterances(dir, ['nothing'])).rejects.toThrow(/no utterances/);
  });

  it('runs callers through their turns: answers checked, TTFA and playback measured, gateway sampled', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 400, audioChunkMs: 100, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server), { connect: await makeConnector('ws') });
      const s = summarize(result);
      expect(s).toMatchObject({ calls: 2, completedCalls: 2, turns: 4, answeredTurns: 4, errors: 0, judged: 4, correct: 4, underruns: 0 });
      expect(s.p95TtfaMs).toBeGreaterThan(0);
      expect(s.p95TtfaMs).toBeLessThan(1000);
      for (const t of result.turns) {
        expect(t.playback.audioMs).toBeGreaterThanOrEqual(400);
        expect(t.server?.audioMs).toBeGreaterThan(0);
      }
      expect(result.server.length).toBeGreaterThan(0);
      expect(result.activity.some((a) => a.activeCallers === 2)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('barges in: the answer is cut, nothing of it follows, the next question is answered', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 3000, audioChunkMs: 100, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server, { callers: 1, bargeInShare: 1 }), { connect: await makeConnector('ws') });
      const [cut, next] = result.turns;
      expect(cut).toMatchObject({ outcome: 'interrupted', bargedIn: true, framesAfterInterrupt: 0, transcriptOk: true });
      expect(cut?.bargeInReactionMs).toBeLessThan(1000);
      expect(next).toMatchObject({ outcome: 'done', bargedIn: false, transcriptOk: true, answerOk: true });
      expect(summarize(result)).toMatchObject({ errors: 0, bargedInTurns: 1, judged: 1, correct: 1 });
    } finally {
      await server.close();
    }
  });

  it('records refusals with their code when the gateway is full', async () => {
    const server = await startFakeServer({ maxSessions: 1 }, { answerAudioMs: 200, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server, { callers: 3, rampPerSecond: 1000, turns: 1 }), { connect: await makeConnector('ws') });
      const s = summarize(result);
      expect(s.refusedCalls).toBeGreaterThanOrEqual(1);
      expect(s.errorsByCode['SERVER_FULL']).toBe(s.refusedCalls);
      expect(s.completedCalls).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });

  it('waits between calls that cannot connect, instead of redialling as fast as they fail', async () => {
    const port = await freePort(); // nothing listens there
    const startedMs = performance.now();
    const result = await runLoad(plan(undefined, { url: `ws://127.0.0.1:${port}/v1/voice`, durationS: 2, callers: 2 }), { connect: await makeConnector('ws') });
    const s = summarize(result);
    expect(s.failedCalls).toBe(s.calls);
    expect(s.errorsByCode['TRANSPORT_FAILED']).toBe(s.calls);
    // At most one call per caller per MIN_RETRY_MS (250 ms) over 2 s, and the run still ends at its duration.
    expect(s.calls).toBeGreaterThanOrEqual(2);
    expect(s.calls).toBeLessThanOrEqual(2 * (2000 / 250 + 1));
    expect(performance.now() - startedMs).toBeLessThan(8000);
  });

  it('counts a turn the gateway never answers as a timeout', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 200, stepDelayMs: 3000 }); // answers far too late
    try {
      const result = await runLoad(plan(server, { callers: 1, turnTimeoutMs: 300 }), { connect: await makeConnector('ws') });
      expect(result.turns[0]).toMatchObject({ outcome: 'timeout', error: { code: 'TIMEOUT' } });
      expect(summarize(result)).toMatchObject({ errors: 1, failedCalls: 1 });
    } finally {
      await server.close();
    }
  });

  it('writes a JSON and a self-contained HTML report with three plots', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 300, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server), { connect: await makeConnector('ws') });
      const out = join(dir, 'report');
      const paths = await writeReport(out, result, summarize(result), { url: server.server.voiceUrl, model: 'fake', settings: { callers: 2 }, targetTtfaMs: 500 });
      const html = await readFile(paths.html, 'utf8');
      expect(html.match(/<svg /g)).toHaveLength(3);
      expect(html).not.toMatch(/NaN|undefined|https?:\/\/(?!127\.0\.0\.1|www\.w3\.org)/);
      const json = JSON.parse(await readFile(paths.json, 'utf8')) as { summary: { turns: number }; turns: unknown[] };
      expect(json.summary.turns).toBe(4);
      expect(json.turns).toHaveLength(4);
    } finally {
      await server.close();
    }
  });

  it('mixes WebSocket and WebRTC callers', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 400, audioChunkMs: 100, stepDelayMs: 1 });
    attachBrowserEndpoints(server.server, { demo: false });
    try {
      const result = await runLoad(plan(server, { transport: 'mixed', codec: 'opus', turns: 1 }), { connect: await makeConnector('mixed') });
      expect(result.calls.map((c) => c.transport).sort()).toEqual(['webrtc', 'ws']);
      // Opus both ways changes the caller's audio length by a frame or so: the fake engine's answer names it.
      expect(summarize(result)).toMatchObject({ calls: 2, completedCalls: 2, errors: 0, answeredTurns: 2 });
      for (const t of result.turns) expect(t.playback.audioMs).toBeGreaterThanOrEqual(400);
    } finally {
      await server.close();
    }
  });

  it('runs callers over the Realtime-compatible endpoint: turns answered and judged, audio measured, a barge-in cut', async () => {
    const server = await startFakeServer({}, { answerAudioMs: 600, audioChunkMs: 100, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server, { transport: 'realtime', callers: 2, turns: 2, bargeInShare: 1 }), { connect: await makeConnector('realtime') });
      expect(result.calls.map((c) => c.transport)).toEqual(['realtime', 'realtime']);
      const s = summarize(result);
      expect(s).toMatchObject({ calls: 2, completedCalls: 2, errors: 0, turns: 4 });
      const answered = result.turns.filter((t) => t.outcome === 'done');
      const cut = result.turns.filter((t) => t.outcome === 'interrupted');
      expect(answered.length + cut.length).toBe(4);
      expect(cut.length).toBeGreaterThan(0); // every caller barged in on its first answer
      for (const t of answered) {
        // The fake engine answers "you said: heard N ms"; over PCM16 24 kHz the length survives to the ms.
        expect(t.answerOk).toBe(true);
        expect(t.ttfaMs).not.toBeNull();
        expect(t.playback.audioMs).toBeGreaterThanOrEqual(600);
        expect(t.server).toBeNull(); // Realtime carries no voxgate timings
      }
    } finally {
      await server.close();
    }
  });

  it('runs callers as phone calls over /v1/twilio: answered as μ-law, timed (VAD silence included), a barge-in cleared, not judged', async () => {
    const server = await startFakeServer({ endOfSpeechSilenceMs: 300 }, { answerAudioMs: 600, audioChunkMs: 100, stepDelayMs: 1 });
    try {
      const result = await runLoad(plan(server, { transport: 'twilio', callers: 2, turns: 2, bargeInShare: 1 }), { connect: await makeConnector('twilio') });
      expect(result.calls.map((c) => c.transport)).toEqual(['twilio', 'twilio']);
      const s = summarize(result);
      expect(s).toMatchObject({ calls: 2, completedCalls: 2, errors: 0, turns: 4, judged: 0 });
      const answered = result.turns.filter((t) => t.outcome === 'done');
      const cut = result.turns.filter((t) => t.outcome === 'interrupted');
      expect(answered.length + cut.length).toBe(4);
      expect(cut.length).toBeGreaterThan(0);
      expect(cut.every((t) => t.framesAfterInterrupt === 0)).toBe(true);
      for (const t of answered) {
        expect(t.textCarried).toBe(false);
        expect(t.ttfaMs).toBeGreaterThanOrEqual(300); // no commit on a phone: the VAD's silence comes first
        expect(t.playback.audioMs).toBeGreaterThanOrEqual(600);
      }
    } finally {
      await server.close();
    }
  });

  it('names the offer URL of a WebRTC call after the WebSocket URL', () => {
    expect(offerUrlFor('ws://127.0.0.1:8080/v1/voice', '/v1/webrtc')).toBe('http://127.0.0.1:8080/v1/webrtc');
    expect(offerUrlFor('wss://gw.example:443/v1/voice?token=x', '/v1/webrtc')).toBe('https://gw.example/v1/webrtc?token=x');
  });
});
