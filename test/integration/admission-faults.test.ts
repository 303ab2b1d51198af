// Admission under attack, on the real ws server (fake engine, 127.0.0.1 only, bounded): sockets that sit idle or
// flood garbage on every endpoint hold no session slot, so real callers still get sessions and the same answers
// as on a quiet gateway; callers that hang up mid-answer free their slot at once.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, VoiceClientError, type VoiceClient } from '../../client-sdk/src/node/index.ts';
import { everyEndpoint, Flood, loopbackAddresses } from '../../server/src/loadtest/faults/flood.ts';
import { RawPeer, SESSION_START_PCM16, startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const QUESTIONS = ['what is two plus three', 'name a colour', 'say hello'];

/** One text turn: the transcript and answer the caller got. */
async function textTurn(client: VoiceClient, text: string): Promise<{ transcript: string; answer: string }> {
  const answer = new Promise<string>((resolve) => client.on('answer.final', (ev) => resolve(ev.text)));
  const transcript = new Promise<string>((resolve) => client.on('transcript.final', (ev) => resolve(ev.text)));
  client.sendText(text, 'text-to-text');
  return { transcript: await transcript, answer: await answer };
}

async function callOnce(url: string, text: string): Promise<{ transcript: string; answer: string }> {
  const client = await connect({ url, mode: 'text-to-text' });
  try {
    return await textTurn(client, text);
  } finally {
    await client.end();
  }
}

describe('admission under idle and hostile sockets (fake engine, 127.0.0.1)', () => {
  it('16 idle sockets from the caller’s own address do not keep a real caller out', async () => {
    fake = await startFakeServer({ maxSessions: 4, maxPendingPerIp: 8 });
    const url = fake.server.voiceUrl;
    const quiet = await callOnce(url, QUESTIONS[0]!);
    const idle = await Promise.all(Array.from({ length: 16 }, () => RawPeer.open(url)));
    // The oldest idle sockets gave way to the newer ones: at most 8 are left waiting, none holds a session.
    expect(fake.server.gateway.stats()).toMatchObject({ pending: 8, sessions: 0, displaced: 8 });
    const displaced = await Promise.all(idle.slice(0, 8).map((p) => p.closed));
    expect(displaced.map((c) => c.code)).toEqual(Array(8).fill(4003));

    expect(await callOnce(url, QUESTIONS[0]!)).toEqual(quiet);
    for (const p of idle) p.ws.terminate();
  });

  it('a pending connection that never starts is closed after the handshake timeout and frees its place', async () => {
    fake = await startFakeServer({ handshakeTimeoutMs: 300 });
    const peer = await RawPeer.open(fake.server.voiceUrl);
    expect(fake.server.gateway.stats().pending).toBe(1);
    expect(await peer.waitForType('error', 3000)).toMatchObject({ code: 'HANDSHAKE_REQUIRED', fatal: true });
    expect((await peer.closed).code).toBe(4003);
    expect(fake.server.gateway.stats()).toMatchObject({ pending: 0, connections: 0 });
  });

  it('a Realtime socket that sits idle or sends only garbage holds no session; its first valid event opens one', async () => {
    fake = await startFakeServer({ handshakeTimeoutMs: 400 });
    const url = fake.server.realtimeUrl;
    const idle = await RawPeer.open(url);
    const garbage = await RawPeer.open(url);
    garbage.send({ type: 'input_audio_buffer.append', audio: '%%%' });
    garbage.send('not json');
    const real = await RawPeer.open(url);
    real.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
    real.send({ type: 'response.create' });
    await real.waitForType('response.done');
    expect(fake.server.gateway.stats()).toMatchObject({ sessions: 1 });
    expect((await idle.closed).code).toBe(4003);
    expect((await garbage.closed).code).toBe(4003);
    real.ws.terminate();
  });

  it('caps sessions per address and per token with SERVER_FULL', async () => {
    const token = 'a-static-token-of-16-chars';
    fake = await startFakeServer({ maxSessions: 8, maxSessionsPerIp: 2, maxSessionsPerToken: 3, authToken: token });
    const url = fake.server.voiceUrl;
    const mine = [await connect({ url, mode: 'text-to-text', token }), await connect({ url, mode: 'text-to-text', token })];
    const third = await connect({ url, mode: 'text-to-text', token }).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(VoiceClientError);
    expect(third).toMatchObject({ code: 'SERVER_FULL' });
    // Another address, same token: the token's cap of 3 lets one more in, then refuses.
    const other = await RawPeer.open(`${url}?token=${token}`, {}, '127.0.0.9');
    other.send(SESSION_START_PCM16);
    await other.waitForType('session.started');
    const fourth = await RawPeer.open(`${url}?token=${token}`, {}, '127.0.0.10');
    fourth.send(SESSION_START_PCM16);
    expect(await fourth.waitForType('error')).toMatchObject({ code: 'SERVER_FULL', fatal: true });
    other.ws.terminate();
    await Promise.all(mine.map((c) => c.end()));
  });

  it('real callers get sessions and the same answers while 16 sockets flood garbage on every endpoint and 8 sit idle', async () => {
    // A phone stream's `start` needs little more than its name and any valid Realtime event opens a session, so
    // garbage there sometimes does: those sockets hold sessions, as many as their addresses may (6 addresses × 3
    // here), and the rest stay for real callers. Voice-protocol garbage never starts one.
    fake = await startFakeServer({ maxSessions: 16, maxSessionsPerIp: 3, maxFramesPerSecond: 200 });
    const { server } = fake;
    const quiet = await Promise.all(QUESTIONS.map((q) => callOnce(server.voiceUrl, q)));

    const flood = new Flood({
      targets: everyEndpoint(server, 3),
      flooders: 16,
      idlers: 8,
      // The voice-protocol flooders and the idlers share the real callers' address.
      localAddresses: ['127.0.0.1', ...loopbackAddresses(3)],
      maxMessages: 20_000,
      burst: 4,
      maxMessageBytes: server.gateway.config.maxMessageBytes,
      seed: 13,
    });
    flood.start();
    const answers: { transcript: string; answer: string }[][] = [];
    try {
      // Two rounds of three callers at once, all while the flood runs.
      for (let round = 0; round < 2; round++) answers.push(await Promise.all(QUESTIONS.map((q) => callOnce(server.voiceUrl, q))));
      await flood.budgetSpent();
    } finally {
      await flood.stop();
    }
    for (const got of answers) expect(got).toEqual(quiet);
    const figures = flood.figures;
    expect(figures.messagesSent).toBe(20_000);
    expect(Object.keys(figures.kinds).length).toBeGreaterThan(10);
    // Voice and phone garbage never starts a session; Realtime sockets held at most their addresses' share.
    expect(fake.closedCalls.filter((c) => c.sessionId !== undefined).length).toBeGreaterThanOrEqual(QUESTIONS.length * 3);
    // Every flooder and idler connected; how often a closed flooder reconnects depends on the machine's speed
    // (an idle machine sends the whole budget before the gateway closes many), so no more than that is asserted.
    expect(figures.connectionsOpened).toBeGreaterThanOrEqual(24);
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    await waitFor(() => server.gateway.stats().connections === 0);
  });

  it('callers hanging up mid-answer never leave a slot held: no new call is refused', async () => {
    fake = await startFakeServer({ maxSessions: 6 }, { answerAudioMs: 2000 });
    const { server } = fake;
    const refusals: unknown[] = [];
    let hangUps = 0;
    // Four callers ask and hang up as soon as the answer's audio starts; two more call normally at the same time:
    // at most six sessions are ever wanted at once, so any SERVER_FULL is a slot a hung-up call still held.
    const hanger = async (): Promise<void> => {
      for (let i = 0; i < 15; i++) {
        const peer = await RawPeer.open(server.voiceUrl);
        peer.send(SESSION_START_PCM16);
        const started = await peer.waitFor((m) => m['type'] === 'session.started' || m['type'] === 'error');
        if (started['type'] === 'error') {
          refusals.push(started);
          continue;
        }
        peer.send({ type: 'input.text', text: 'tell me a story' });
        await peer.waitForType('audio.start');
        peer.ws.terminate();
        hangUps++;
      }
    };
    const prober = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        const r = await callOnce(server.voiceUrl, 'hello').catch((e: unknown) => e);
        if (r instanceof Error) refusals.push(r);
      }
    };
    await Promise.all([hanger(), hanger(), hanger(), hanger(), prober(), prober()]);
    expect(refusals).toEqual([]);
    expect(hangUps).toBe(60);
    await waitFor(() => server.gateway.stats().sessions === 0 && fake!.engine.activeSessions === 0);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
