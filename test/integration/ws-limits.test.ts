// Server limits on the real ws server with the fake engine: capacity, message rate, slow consumers, hang-ups.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, VoiceClientError } from '../../client-sdk/src/node/index.ts';
import { RawPeer, SESSION_START_PCM16, startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('limits (fake engine)', () => {
  it('refuses a connection beyond maxSessions with SERVER_FULL and retry advice, then admits once one leaves', async () => {
    fake = await startFakeServer({ maxSessions: 2, retryAfterMs: 1500 });
    const url = fake.server.voiceUrl;
    const a = await connect({ url, mode: 'text-to-text' });
    const b = await connect({ url, mode: 'text-to-text' });
    const refused = await connect({ url, mode: 'text-to-text' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VoiceClientError);
    expect(refused).toMatchObject({ code: 'SERVER_FULL', retryAfterMs: 1500 });

    const raw = await RawPeer.open(url);
    expect(await raw.waitForType('error')).toMatchObject({ code: 'SERVER_FULL', fatal: true, retryAfterMs: 1500 });
    expect((await raw.closed).code).toBe(1013);
    expect(fake.server.gateway.stats()).toMatchObject({ connections: 2, refusedFull: 2 });

    await a.end();
    await fake.callClosed((c) => c.sessionId === a.session.sessionId);
    const c = await connect({ url, mode: 'text-to-text' });
    expect(c.session.sessionId).toBeTruthy();
    await Promise.all([b.end(), c.end()]);
  });

  it('drops messages beyond maxFramesPerSecond with one RATE_LIMITED, and closes a caller sending twice that', async () => {
    fake = await startFakeServer({ maxFramesPerSecond: 20 });
    const peer = await RawPeer.open(fake.server.voiceUrl);
    peer.send(SESSION_START_PCM16);
    await peer.waitForType('session.started');
    const frame = new Uint8Array(1 + 640);
    frame[0] = 0x01;
    for (let i = 0; i < 25; i++) peer.send(frame); // 26 messages this second with session.start
    expect(await peer.waitForType('error')).toMatchObject({ code: 'RATE_LIMITED', fatal: false });
    await new Promise((r) => setTimeout(r, 1100)); // next window
    expect(peer.events('error')).toHaveLength(1);

    for (let i = 0; i < 45; i++) peer.send(frame);
    expect((await peer.closed).code).toBe(4004);
    expect(peer.events('error').at(-1)).toMatchObject({ code: 'RATE_LIMITED', fatal: true });
    const closed = await fake.callClosed();
    expect(closed.errorCode).toBe('RATE_LIMITED');
    expect(fake.engine.activeSessions).toBe(0);
  });

  it('disconnects a caller that stops reading, with the send buffer bounded', async () => {
    const maxBufferedBytes = 256 * 1024;
    const floodTextBytes = 32 * 1024;
    fake = await startFakeServer({ maxBufferedBytes, slowConsumerGraceMs: 2000 }, { floodTextBytes });
    const slow = await RawPeer.open(fake.server.voiceUrl);
    slow.send(SESSION_START_PCM16);
    await slow.waitForType('session.started');
    slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's send buffer grows
    slow.send({ type: 'input.text', text: 'flood me' });

    const closed = await fake.callClosed();
    expect(closed.errorCode).toBe('SLOW_CONSUMER');
    expect(closed.closeCode).toBe(4010);
    // Bounded: the policy trips at twice the cap, so at most one message beyond it was ever queued.
    expect(closed.peakBufferedBytes).toBeGreaterThan(maxBufferedBytes);
    expect(closed.peakBufferedBytes).toBeLessThanOrEqual(2 * maxBufferedBytes + floodTextBytes + 1024);
    expect(fake.engine.activeSessions).toBe(0);
    slow.ws.terminate();
  });

  it('frees the engine session when the caller hangs up mid-answer', async () => {
    fake = await startFakeServer({}, { answerAudioMs: 3000 });
    const client = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech' });
    const firstAudio = new Promise((resolve) => client.on('audio', resolve));
    client.sendText('talk for a while');
    await firstAudio;
    expect(fake.engine.activeSessions).toBe(1);
    client.close(); // no session.end: the socket just goes away

    const closed = await fake.callClosed();
    expect(closed).toMatchObject({ hungUp: true, errorCode: undefined });
    expect(fake.engine.activeSessions).toBe(0);
    expect(fake.server.gateway.stats()).toMatchObject({ connections: 0, sessions: 0 });
  });

  it('frees the engine session when the caller hangs up while it is opening', async () => {
    fake = await startFakeServer({}, { openDelayMs: 200 });
    const peer = await RawPeer.open(fake.server.voiceUrl);
    peer.send(SESSION_START_PCM16);
    await new Promise((r) => setTimeout(r, 50));
    peer.ws.terminate();
    await fake.callClosed();
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.engine.sessions).toHaveLength(1);
    expect(fake.engine.activeSessions).toBe(0);
  });
});
