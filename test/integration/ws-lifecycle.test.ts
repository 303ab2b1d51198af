// Server lifecycle on the real ws server with the fake engine: readiness, auth, timeouts, graceful shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, VoiceClientError } from '../../client-sdk/src/node/index.ts';
import { FakeEngine, RawPeer, SESSION_START_PCM16, startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('lifecycle (fake engine)', () => {
  it('is live at once, ready once the engine has loaded, and refuses calls with NOT_READY until then', async () => {
    let load!: (e: FakeEngine) => void;
    fake = await startFakeServer({ retryAfterMs: 3000 }, {}, new Promise<FakeEngine>((resolve) => (load = resolve)));
    const { httpUrl, voiceUrl } = fake.server;
    expect(await getJson(`${httpUrl}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${httpUrl}/readyz`)).toEqual({ status: 503, body: { status: 'loading' } });
    const early = await connect({ url: voiceUrl }).catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'NOT_READY', retryAfterMs: 3000 });

    load(new FakeEngine());
    await fake.server.gateway.ready;
    expect(await getJson(`${httpUrl}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready', model: 'fake-engine', sessions: 0 } });
    const client = await connect({ url: voiceUrl });
    await client.end();
    expect((await fetch(`${httpUrl}/nope`)).status).toBe(404);
    expect((await fetch(voiceUrl.replace('ws:', 'http:'))).status).toBe(426);
  });

  it('reports a failed model load on /readyz', async () => {
    fake = await startFakeServer({}, {}, Promise.reject(new Error('manifest.json: lm.file: missing')));
    await expect(fake.server.gateway.ready).rejects.toThrow('lm.file');
    expect(await getJson(`${fake.server.httpUrl}/readyz`)).toEqual({ status: 503, body: { status: 'failed', error: 'manifest.json: lm.file: missing' } });
  });

  it('requires the auth token when one is configured (header or query)', async () => {
    const token = 'secret-token-0123456789';
    fake = await startFakeServer({ authToken: token });
    const url = fake.server.voiceUrl;
    await expect(connect({ url })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(connect({ url, token: 'wrong-token-0123456789' })).rejects.toBeInstanceOf(VoiceClientError);
    const byHeader = await connect({ url, token });
    await byHeader.end();
    const byQuery = await RawPeer.open(`${url}?token=${token}`);
    byQuery.send(SESSION_START_PCM16);
    await byQuery.waitForType('session.started');
    byQuery.ws.close();
  });

  it('closes a connection that never sends session.start (handshake timeout)', async () => {
    fake = await startFakeServer({ handshakeTimeoutMs: 200 });
    const peer = await RawPeer.open(fake.server.voiceUrl);
    expect((await peer.closed).code).toBe(4003);
    expect(peer.events('error')[0]).toMatchObject({ code: 'HANDSHAKE_REQUIRED', fatal: true });
  });

  it('does not count a long answer as idle: audio going out is traffic', async () => {
    fake = await startFakeServer({ idleTimeoutMs: 300 }, { answerAudioMs: 1200, audioChunkMs: 400 });
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    const done = new Promise((resolve) => client.on('turn.done', resolve));
    client.sendText('talk for over a second');
    await done;
    expect(fake.closedCalls).toEqual([]);
    expect(await client.closed).toMatchObject({ errorCode: 'IDLE_TIMEOUT' }); // and idle once it is over
  });

  it('closes an idle session and one that outlives sessionTimeoutMs', async () => {
    fake = await startFakeServer({ idleTimeoutMs: 300, sessionTimeoutMs: 60_000 });
    const idle = await connect({ url: fake.server.voiceUrl });
    expect(await idle.closed).toMatchObject({ code: 4009, errorCode: 'IDLE_TIMEOUT', retryable: true });
    expect(fake.engine.activeSessions).toBe(0);
    await fake.close();

    fake = await startFakeServer({ idleTimeoutMs: 60_000, sessionTimeoutMs: 400 });
    const long = await connect({ url: fake.server.voiceUrl, mode: 'text-to-text' });
    const keepAlive = setInterval(() => long.sendText('still here'), 100);
    const info = await long.closed;
    clearInterval(keepAlive);
    expect(info).toMatchObject({ code: 4008, errorCode: 'SESSION_TIMEOUT' });
  });

  it('shuts down gracefully: the answer in progress finishes, new calls are refused, then 1001', async () => {
    fake = await startFakeServer({}, { answerAudioMs: 600 });
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    let audioSamples = 0;
    client.on('audio', (a) => (audioSamples += a.pcm.length));
    const turnDone = new Promise((resolve) => client.on('turn.done', resolve));
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    client.sendText('finish this please');
    await firstAudio;

    const shutdown = fake.server.close(5000);
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.server.gateway.readiness).toBe('draining');
    const refused = connect({ url: fake.server.voiceUrl });
    await expect(refused).rejects.toBeInstanceOf(VoiceClientError);
    await expect(refused).rejects.toMatchObject({ code: 'SHUTTING_DOWN', retryAfterMs: expect.any(Number) });

    await turnDone;
    expect(audioSamples).toBe(600 * 16);
    expect(await client.closed).toMatchObject({ code: 1001, errorCode: 'SHUTTING_DOWN', retryable: true });
    await shutdown;
    expect(fake.engine.activeSessions).toBe(0);
    fake = undefined;
  });

  it('cuts answers that outlast the shutdown grace', async () => {
    fake = await startFakeServer({}, { answerAudioMs: 5000 });
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    client.sendText('a very long answer');
    await firstAudio;
    const t0 = performance.now();
    await fake.server.close(200);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect((await client.closed).code).toBe(1001);
    expect(fake.engine.activeSessions).toBe(0);
    fake = undefined;
  });
});
