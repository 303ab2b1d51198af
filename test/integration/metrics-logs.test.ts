// GET /metrics as Prometheus text and the structured logs, on the real ws server: the fake engine for the wiring
// (outcomes, error codes, redaction, transcripts only when asked), the real model for the TTFA histogram and the
// LLM gauges after a spoken answer.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client-sdk/src/node/index.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import { createLogger } from '../../server/src/gateway/log.ts';
import { describeIf } from '../helpers/requires.ts';
import { FakeEngine, RawPeer, startTestServer, type TestServer } from '../helpers/fake-engine.ts';
import { MODEL_DIR, MODEL_FILES } from './engine-model.ts';

const TOKEN = 'metrics-test-token-0123456789';
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A logger writing pino's JSON lines into an array. */
function capturedLog(): { lines: Record<string, unknown>[]; raw: string[]; log: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l.length > 0)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, log: createLogger('debug', sink) };
}

async function scrape(httpUrl: string): Promise<{ type: string | null; text: string }> {
  const res = await fetch(`${httpUrl}/metrics`);
  return { type: res.headers.get('content-type'), text: await res.text() };
}

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function speakTurn(url: string, text: string, token?: string): Promise<void> {
  const client = await connect({ url, mode: 'text-to-speech', ...(token === undefined ? {} : { token }) });
  const done = new Promise<void>((resolve) => client.on('turn.done', () => resolve()));
  client.sendText(text, 'text-to-speech');
  await done;
  await client.end();
}

describe('Prometheus /metrics and pino logs (fake engine)', () => {
  it('counts calls by transport and outcome, turns with their timings, and errors by code, as Prometheus text', async () => {
    server = await startTestServer(new FakeEngine({ answerAudioMs: 200 }), { maxSessions: 1 });
    const { voiceUrl, httpUrl } = server.server;
    await speakTurn(voiceUrl, 'hello');
    const garbage = await RawPeer.open(voiceUrl);
    garbage.send('not json');
    expect(await garbage.waitForType('error')).toMatchObject({ code: 'BAD_REQUEST' });
    garbage.ws.terminate();
    await server.callClosed((c) => c.hungUp);
    const held = await connect({ url: voiceUrl, mode: 'text-to-text' });
    const refused = await RawPeer.open(voiceUrl);
    await refused.closed;
    await held.end();
    await server.callClosed((c) => c.sessionId === held.session.sessionId);

    const { type, text } = await scrape(httpUrl);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE voxgate_time_to_first_audio_seconds histogram');
    expect(sample(text, 'voxgate_time_to_first_audio_seconds_count{transport="voxgate"}')).toBe(1);
    expect(sample(text, 'voxgate_turn_stage_seconds_count{transport="voxgate",stage="total"}')).toBe(1);
    expect(sample(text, 'voxgate_turns_total{transport="voxgate",outcome="done"}')).toBe(1);
    expect(sample(text, 'voxgate_calls_total{transport="voxgate",outcome="completed"}')).toBe(2);
    expect(sample(text, 'voxgate_calls_total{transport="voxgate",outcome="refused"}')).toBe(1);
    expect(sample(text, 'voxgate_calls_total{transport="voxgate",outcome="hung_up"}')).toBe(1);
    expect(sample(text, 'voxgate_errors_total{code="SERVER_FULL"}')).toBe(1);
    expect(sample(text, 'voxgate_errors_total{code="BAD_REQUEST"}')).toBe(1);
    expect(sample(text, 'voxgate_sessions_active')).toBe(0);
    expect(sample(text, 'voxgate_slow_consumer_closes_total')).toBe(0);
    // prom-client's default process metrics sit beside ours.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    // The load tester's JSON moved beside it.
    const json = (await (await fetch(`${httpUrl}/metrics.json`)).json()) as Record<string, unknown>;
    expect(json).toMatchObject({ callsTotal: 3, refusedFull: 1, maxSessions: 1 });
  });

  it('logs one child record per call event with call id and transport, never the token, and transcripts only when asked', async () => {
    for (const logTranscripts of [false, true]) {
      const { lines, raw, log } = capturedLog();
      server = await startTestServer(new FakeEngine({ answerAudioMs: 100 }), { authToken: TOKEN, logTranscripts, logLevel: 'debug' }, log);
      await speakTurn(server.server.voiceUrl, 'a secret question', TOKEN);
      await server.close();
      server = undefined;
      const turn = lines.find((l) => l['msg'] === 'turn done');
      expect(turn).toMatchObject({ level: 'info', transport: 'voxgate' });
      expect(typeof turn?.['callId']).toBe('string');
      expect(turn?.['timings']).toMatchObject({ totalMs: expect.any(Number) });
      const started = lines.find((l) => l['msg'] === 'session started');
      expect(started?.['callId']).toBe(turn?.['callId']);
      expect(raw.join('\n')).not.toContain(TOKEN);
      if (logTranscripts) expect(turn?.['transcript']).toBeDefined();
      else expect(raw.join('\n')).not.toContain('secret question');
    }
  });

  it('redacts secrets wherever a record carries them', () => {
    const { raw, log } = capturedLog();
    log.child({ callId: 'c1' }).info('auth', { token: TOKEN, headers: { authorization: `Bearer ${TOKEN}` }, authSecret: 'shh-secret' });
    expect(raw.join('\n')).not.toContain(TOKEN);
    expect(raw.join('\n')).not.toContain('shh-secret');
    expect(raw[0]).toContain('[redacted]');
  });
});


describeIf(MODEL_FILES, `the model in ${MODEL_DIR}`)('Prometheus /metrics on the real model', () => {
  it('shows the TTFA histogram and every LLM sequence free again after a spoken answer', async () => {
    server = await startTestServer(createEngine({ modelDir: MODEL_DIR, maxSessions: 2 }), { maxSessions: 2 });
    await server.server.gateway.ready;
    await speakTurn(server.server.voiceUrl, 'hello');
    await server.callClosed();
    const { text } = await scrape(server.server.httpUrl);
    expect(sample(text, 'voxgate_time_to_first_audio_seconds_count{transport="voxgate"}')).toBe(1);
    expect(sample(text, 'voxgate_time_to_first_audio_seconds_sum{transport="voxgate"}')).toBeGreaterThan(0);
    // The answer's pace per generated token, in seconds: above zero, and far below what milliseconds would read.
    expect(sample(text, 'voxgate_llm_token_seconds_count')).toBe(1);
    expect(sample(text, 'voxgate_llm_token_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'voxgate_llm_token_seconds_sum')).toBeLessThan(0.05);
    expect(sample(text, 'voxgate_turns_total{transport="voxgate",outcome="done"}')).toBe(1);
    await expect.poll(async () => sample((await scrape(server!.server.httpUrl)).text, 'voxgate_llm_sequences_in_use')).toBe(0);
    expect(sample(text, 'voxgate_vocoder_queue_depth')).toBe(0);
    // The call's session was closed and its sequence given back: one release observed.
    await expect.poll(async () => sample((await scrape(server!.server.httpUrl)).text, 'voxgate_session_release_seconds_count')).toBe(1);
    await server.close();
    await server.engine.close();
    server = undefined;
  }, 120_000);
});
