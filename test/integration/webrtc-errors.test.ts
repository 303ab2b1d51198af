// The WebRTC endpoint's refusals and failures: HTTP answers with the protocol's codes before any peer connection,
// the protocol's own errors on the data channel, and peers that never connect or vanish. None may take the
// process down, and every call must end with its resources freed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, MediaStreamTrack, RtpHeader, RtpPacket, useOPUS, type RTCDataChannel } from 'werift';
import { VoiceClientError } from '../../client-sdk/src/errors.ts';
import { connectWebRtc } from '../../client-sdk/src/transports/webrtc-node.ts';
import { parseConnectionClose } from '../../client-sdk/src/transports/webrtc-wire.ts';
import { attachBrowserEndpoints, type BrowserEndpoints } from '../../server/src/http/webrtc-attach.ts';
import { defaultWebRtcConfig } from '../../server/src/transport/webrtc-config.ts';
import { FakeEngine, startTestServer, type TestServer } from '../helpers/fake-engine.ts';

const TOKEN = 'a-token-of-sixteen-chars';

interface Peer {
  pc: RTCPeerConnection;
  track: MediaStreamTrack;
  channel: RTCDataChannel;
  offer: string;
  messages: Record<string, unknown>[];
  closeCode: Promise<number | undefined>;
}

/** A werift peer with an audio transceiver and the voxgate data channel, its offer ready (candidates gathered). */
async function rawPeer(): Promise<Peer> {
  const pc = new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'], codecs: { audio: [useOPUS()], video: [] } });
  const track = new MediaStreamTrack({ kind: 'audio' });
  pc.addTransceiver(track, { direction: 'sendrecv' });
  const channel = pc.createDataChannel('voxgate');
  const messages: Record<string, unknown>[] = [];
  const closeCode = new Promise<number | undefined>((resolve) => {
    channel.onMessage.subscribe((data) => {
      if (typeof data !== 'string') return;
      const close = parseConnectionClose(data);
      if (close) return resolve(close.code);
      messages.push(JSON.parse(data) as Record<string, unknown>);
    });
    channel.stateChanged.subscribe((s) => s === 'closed' && resolve(undefined));
  });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => setTimeout(r, 300)); // host candidates
  return { pc, track, channel, offer: pc.localDescription!.sdp, messages, closeCode };
}

async function post(url: string, body: string, type = 'application/sdp', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type, ...headers }, body });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('webrtc endpoint refusals (HTTP)', () => {
  let server: TestServer<FakeEngine>;
  let endpoints: BrowserEndpoints;
  beforeAll(async () => {
    server = await startTestServer(new FakeEngine(), { maxSessions: 1, authToken: TOKEN });
    endpoints = attachBrowserEndpoints(server.server, { demo: false });
  });
  afterAll(() => server.close());
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('401 without the token, with the protocol code', async () => {
    const r = await post(endpoints.webrtcUrl, 'v=0');
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('400 for a body that is not an offer, 415 for another type, 405 for GET', async () => {
    expect((await post(endpoints.webrtcUrl, 'hello', 'application/sdp', auth)).status).toBe(400);
    expect((await post(endpoints.webrtcUrl, 'v=0\r\n', 'text/plain', auth)).status).toBe(415);
    expect((await fetch(endpoints.webrtcUrl, { headers: auth })).status).toBe(405);
    const noAudio = await post(endpoints.webrtcUrl, 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', 'application/sdp', auth);
    expect(noAudio.status).toBe(400);
    expect(JSON.parse(noAudio.body).error).toMatch(/no audio/);
  });

  it('400 BAD_REQUEST for invalid session options, UNSUPPORTED_VERSION for another version', async () => {
    const peer = await rawPeer();
    try {
      const bad = await post(endpoints.webrtcUrl, JSON.stringify({ sdp: peer.offer, session: { mode: 'shouting' } }), 'application/json', auth);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ code: 'BAD_REQUEST' });
      const version = await post(endpoints.webrtcUrl, JSON.stringify({ sdp: peer.offer, session: { version: 9 } }), 'application/json', auth);
      expect(JSON.parse(version.body)).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    } finally {
      await peer.pc.close();
    }
  });

  it('503 SERVER_FULL with Retry-After when maxSessions calls are up; the SDK reports the code', async () => {
    const first = await connectWebRtc({ url: endpoints.webrtcUrl, token: TOKEN, mode: 'text-to-text' });
    try {
      const err = await connectWebRtc({ url: endpoints.webrtcUrl, token: TOKEN }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VoiceClientError);
      expect((err as VoiceClientError).code).toBe('SERVER_FULL');
      expect((err as VoiceClientError).retryAfterMs).toBeGreaterThan(0);
    } finally {
      await first.end();
    }
  });
});

describe('webrtc endpoint failures (data channel, ICE)', () => {
  let server: TestServer<FakeEngine>;
  let endpoints: BrowserEndpoints;
  beforeAll(async () => {
    server = await startTestServer(new FakeEngine(), { handshakeTimeoutMs: 1500 });
    endpoints = attachBrowserEndpoints(server.server, { demo: false, webrtc: { ...defaultWebRtcConfig(), connectTimeoutMs: 2000 } });
  });
  afterAll(() => server.close());

  it('NOT_READY while the model loads', async () => {
    let load!: (e: FakeEngine) => void;
    const loading = await startTestServer(new Promise<FakeEngine>((r) => (load = r)));
    const ep = attachBrowserEndpoints(loading.server, { demo: false });
    const r = await post(ep.webrtcUrl, 'v=0');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'NOT_READY' });
    expect(r.headers.get('retry-after')).toBe('2');
    load(new FakeEngine());
    await loading.close();
  });

  it('answers malformed messages on the data channel with BAD_REQUEST and goes on', async () => {
    const peer = await rawPeer();
    const r = await post(endpoints.webrtcUrl, peer.offer);
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toMatch(/^\/v1\/webrtc\/[0-9a-f-]+$/);
    await peer.pc.setRemoteDescription({ type: 'answer', sdp: r.body });
    await waitFor(() => (peer.channel.readyState === 'open' ? true : undefined));
    peer.channel.send('{not json');
    peer.channel.send(JSON.stringify({ type: 'input.text', text: 'early' }));
    peer.channel.send(JSON.stringify({ type: 'session.start', version: 1, mode: 'text-to-text', input: { codec: 'pcm16', sampleRateHz: 16000 }, output: { codec: 'pcm16' } }));
    const started = await waitFor(() => peer.messages.find((m) => m['type'] === 'session.started'));
    // Media formats are the transport's: Opus on the tracks whatever session.start asked.
    expect(started['input']).toEqual({ codec: 'opus', sampleRateHz: 48000 });
    expect(started['output']).toMatchObject({ codec: 'opus', sampleRateHz: 16000 });
    const codes = peer.messages.filter((m) => m['type'] === 'error').map((m) => m['code']);
    expect(codes).toEqual(['BAD_REQUEST', 'HANDSHAKE_REQUIRED']);
    peer.channel.send(JSON.stringify({ type: 'session.end' }));
    expect(await peer.closeCode).toBe(1000);
    await peer.pc.close();
  });

  it('answers RTP that is not Opus with CODEC_DECODE_FAILED, bounded, and keeps the call', async () => {
    const peer = await rawPeer();
    const r = await post(endpoints.webrtcUrl, JSON.stringify({ sdp: peer.offer, session: { mode: 'speech-to-text', vad: false } }), 'application/json');
    await peer.pc.setRemoteDescription({ type: 'answer', sdp: (JSON.parse(r.body) as { sdp: string }).sdp });
    await waitFor(() => peer.messages.find((m) => m['type'] === 'session.started'));
    // 30 packets of garbage in 300 ms: each fails to decode; the errors sent are capped per second.
    for (let i = 0; i < 30; i++) {
      const garbage = Buffer.from(Array.from({ length: 40 }, (_, j) => (j * 37 + i) & 0xff));
      garbage[0] = 0xff; // TOC byte of a code-3 frame with an impossible frame count
      peer.track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: i, timestamp: i * 960 }), garbage));
      await new Promise((res) => setTimeout(res, 10));
    }
    await waitFor(() => peer.messages.find((m) => m['code'] === 'CODEC_DECODE_FAILED'));
    await new Promise((res) => setTimeout(res, 200));
    const errors = peer.messages.filter((m) => m['type'] === 'error');
    expect(errors.every((e) => e['code'] === 'CODEC_DECODE_FAILED' && e['fatal'] === false)).toBe(true);
    expect(errors.length).toBeLessThanOrEqual(10);
    peer.channel.send(JSON.stringify({ type: 'session.end' }));
    expect(await peer.closeCode).toBe(1000);
    await peer.pc.close();
  });

  it('ends a call whose peer never connects as TRANSPORT_FAILED at the connect timeout; the server keeps serving', async () => {
    const peer = await rawPeer();
    await peer.pc.close(); // the offer's candidates now lead nowhere: ICE cannot complete
    const postedAtMs = performance.now();
    const r = await post(endpoints.webrtcUrl, peer.offer);
    expect(r.status).toBe(201);
    const closed = await server.callClosed((c) => c.errorCode === 'TRANSPORT_FAILED');
    // The connect timeout (2 s here) ended it, not the shorter handshake timeout (1.5 s), and not as a hang-up.
    expect(performance.now() - postedAtMs).toBeGreaterThanOrEqual(1900);
    expect(closed).toMatchObject({ sessionId: undefined, hungUp: false, closeCode: 1006 });
    const client = await connectWebRtc({ url: endpoints.webrtcUrl, mode: 'text-to-text' });
    expect(client.session.sessionId).toBeTruthy();
    await client.end();
  });

  it('frees the session when the caller drops its peer connection mid-call', async () => {
    const client = await connectWebRtc({ url: endpoints.webrtcUrl, mode: 'text-to-speech' });
    const sessionId = client.session.sessionId;
    client.close(); // hang up without session.end
    const closed = await server.callClosed((c) => c.sessionId === sessionId);
    expect(closed.hungUp).toBe(true);
    await waitFor(() => (server.engine.sessions.find((s) => s.id === sessionId)?.closed ? true : undefined));
  });

  it('DELETE /v1/webrtc/{id} hangs up a call (WHIP)', async () => {
    const peer = await rawPeer();
    const r = await post(endpoints.webrtcUrl, JSON.stringify({ sdp: peer.offer, session: { mode: 'text-to-text' } }), 'application/json');
    const { sdp, callId } = JSON.parse(r.body) as { sdp: string; callId: string };
    await peer.pc.setRemoteDescription({ type: 'answer', sdp });
    // The POST started the session: session.started arrives once the channel opens, no session.start needed.
    await waitFor(() => peer.messages.find((m) => m['type'] === 'session.started'));
    expect((await fetch(`${endpoints.webrtcUrl}/${callId}`, { method: 'DELETE' })).status).toBe(200);
    expect(await peer.closeCode).toBe(1000);
    expect((await fetch(`${endpoints.webrtcUrl}/${callId}`, { method: 'DELETE' })).status).toBe(404);
    await peer.pc.close();
  });
});

describe('webrtc handshake timing', () => {
  it('times the handshake from the data channel opening: a peer slower to connect than the timeout still starts', async () => {
    const server = await startTestServer(new FakeEngine(), { handshakeTimeoutMs: 150 });
    const endpoints = attachBrowserEndpoints(server.server, { demo: false });
    try {
      const peer = await rawPeer();
      const r = await post(endpoints.webrtcUrl, peer.offer);
      expect(r.status).toBe(201);
      // ICE, DTLS and the channel take longer than the whole handshake timeout (a loaded machine, a far caller).
      await new Promise((res) => setTimeout(res, 600));
      await peer.pc.setRemoteDescription({ type: 'answer', sdp: r.body });
      await waitFor(() => (peer.channel.readyState === 'open' ? true : undefined));
      peer.channel.send(JSON.stringify({ type: 'session.start', version: 1, mode: 'text-to-text', input: { codec: 'pcm16', sampleRateHz: 16000 }, output: { codec: 'pcm16' } }));
      await waitFor(() => peer.messages.find((m) => m['type'] === 'session.started'));
      expect(peer.messages.filter((m) => m['type'] === 'error')).toEqual([]);
      peer.channel.send(JSON.stringify({ type: 'session.end' }));
      expect(await peer.closeCode).toBe(1000);
      await peer.pc.close();

      // Once the channel is open the timeout runs: a connected peer that never starts is told, on its channel.
      const silent = await rawPeer();
      const answer = await post(endpoints.webrtcUrl, silent.offer);
      await silent.pc.setRemoteDescription({ type: 'answer', sdp: answer.body });
      expect(await silent.closeCode).toBe(4003);
      expect(silent.messages.filter((m) => m['type'] === 'error').map((m) => m['code'])).toEqual(['HANDSHAKE_REQUIRED']);
      await silent.pc.close();
    } finally {
      await server.close();
    }
  });

  it('tells a peer still connecting why the server ended its call, once its channel opens', async () => {
    const server = await startTestServer(new FakeEngine(), { shutdownGraceMs: 100 });
    const endpoints = attachBrowserEndpoints(server.server, { demo: false });
    const peer = await rawPeer();
    const r = await post(endpoints.webrtcUrl, peer.offer);
    expect(r.status).toBe(201);
    const closing = server.server.close();
    await peer.pc.setRemoteDescription({ type: 'answer', sdp: r.body });
    expect(await peer.closeCode).toBe(1001);
    expect(peer.messages.filter((m) => m['type'] === 'error').map((m) => m['code'])).toEqual(['SHUTTING_DOWN']);
    await closing;
    await peer.pc.close();
  });
});

describe('webrtc calls and server shutdown', () => {
  it('closes live WebRTC calls with SHUTTING_DOWN (1001) and refuses new offers while draining', async () => {
    const server = await startTestServer(new FakeEngine(), { shutdownGraceMs: 200 });
    const endpoints = attachBrowserEndpoints(server.server, { demo: false });
    const client = await connectWebRtc({ url: endpoints.webrtcUrl, mode: 'text-to-text' });
    const closing = server.server.close();
    const refused = await post(endpoints.webrtcUrl, 'v=0').catch(() => undefined);
    if (refused !== undefined) expect(refused.status).toBe(503); // or the listener was already closed
    const info = await client.closed;
    await closing;
    expect(info.code).toBe(1001);
    expect(info.errorCode).toBe('SHUTTING_DOWN');
    expect(info.retryable).toBe(true);
  });
});
