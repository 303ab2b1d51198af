// Each class of bad input gets its documented error code on that connection only, while another caller's call
// runs to the end unharmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client-sdk/src/node/index.ts';
import { RawPeer, SESSION_START_PCM16, startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

const MAX_MESSAGE_BYTES = 4096;
let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeServer({ maxMessageBytes: MAX_MESSAGE_BYTES }, { answerAudioMs: 600 });
});
afterAll(async () => {
  await fake.close();
});

/** Sends one bad message and returns the error event it caused. */
async function errorFor(peer: RawPeer, data: string | Uint8Array | Record<string, unknown>): Promise<Record<string, unknown>> {
  const from = peer.messages.length;
  peer.send(data);
  return peer.waitForType('error', 3000, from);
}

async function startSession(peer: RawPeer, start: Record<string, unknown> = SESSION_START_PCM16): Promise<void> {
  const from = peer.messages.length;
  peer.send(start);
  await peer.waitForType('session.started', 3000, from);
}

/** A valid text turn completes on the peer: it was not harmed by its own bad input either. */
async function turnCompletes(peer: RawPeer): Promise<void> {
  const from = peer.messages.length;
  peer.send({ type: 'input.text', text: 'still there?' });
  await peer.waitForType('turn.done', 5000, from);
}

describe('bad input (fake engine)', () => {
  it('answers every bad input class with its code while a second call completes', async () => {
    // Caller B: a whole speech call through the SDK, running while caller A misbehaves.
    const b = await connect({ url: fake.server.voiceUrl, mode: 'text-to-speech', output: { codec: 'opus' } });
    let bAudioSamples = 0;
    b.on('audio', (a) => (bAudioSamples += a.pcm.length));
    const bDone = new Promise<{ timings: { audioMs: number } }>((resolve) => b.on('turn.done', resolve));
    const bErrors: unknown[] = [];
    b.on('error', (e) => bErrors.push(e));
    b.sendText('caller B speaking');

    // Before the handshake.
    const pre = await RawPeer.open(fake.server.voiceUrl);
    expect((await errorFor(pre, new Uint8Array([0x01, 0, 0, 0, 0]))).code).toBe('HANDSHAKE_REQUIRED');
    expect((await errorFor(pre, { type: 'input.text', text: 'hi' })).code).toBe('HANDSHAKE_REQUIRED');
    expect((await errorFor(pre, '{"type": "session.start", ')).code).toBe('BAD_REQUEST'); // invalid JSON
    expect((await errorFor(pre, '[1, 2, 3]')).code).toBe('BAD_REQUEST');
    expect((await errorFor(pre, { type: 42 })).code).toBe('BAD_REQUEST');
    const wrongTypes = await errorFor(pre, { ...SESSION_START_PCM16, input: { codec: 'pcm16', sampleRateHz: '16000' } });
    expect(wrongTypes).toMatchObject({ code: 'BAD_REQUEST', fatal: false });
    expect(String(wrongTypes['message'])).toContain('input.sampleRateHz');
    expect((await errorFor(pre, { ...SESSION_START_PCM16, mode: 'karaoke' })).code).toBe('BAD_REQUEST');
    await startSession(pre); // the malformed handshakes left the connection usable
    await turnCompletes(pre);
    pre.ws.close();

    // After the handshake, pcm16 session.
    const pcm = await RawPeer.open(fake.server.voiceUrl);
    await startSession(pcm);
    expect((await errorFor(pcm, new Uint8Array([0x37, 1, 2, 3]))).code).toBe('BAD_REQUEST'); // garbage binary
    expect((await errorFor(pcm, new Uint8Array(0))).code).toBe('BAD_REQUEST'); // empty binary frame
    expect((await errorFor(pcm, new Uint8Array([0x01, 1, 2, 3]))).code).toBe('INVALID_AUDIO'); // odd pcm16 length
    expect((await errorFor(pcm, new Uint8Array([0x01]))).code).toBe('INVALID_AUDIO'); // no samples
    const from = pcm.messages.length;
    pcm.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }); // a text frame that is not UTF-8
    expect((await pcm.waitForType('error', 3000, from)).code).toBe('BAD_REQUEST');
    expect((await errorFor(pcm, { type: 'input.text', text: '   ' })).code).toBe('BAD_REQUEST');
    expect((await errorFor(pcm, SESSION_START_PCM16)).code).toBe('BAD_REQUEST'); // second session.start
    const oversize = await errorFor(pcm, new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(1));
    expect(oversize).toMatchObject({ code: 'MESSAGE_TOO_LARGE', fatal: false });
    // Ignored without an error: unknown control types and extension binary kinds.
    const before = pcm.events('error').length;
    pcm.send({ type: 'telemetry.ping', n: 1 });
    pcm.send(new Uint8Array([0x90, 1, 2, 3]));
    await turnCompletes(pcm);
    expect(pcm.events('error')).toHaveLength(before);
    pcm.ws.close();

    // Opus session: corrupt and empty packets.
    const opus = await RawPeer.open(fake.server.voiceUrl);
    await startSession(opus, { ...SESSION_START_PCM16, input: { codec: 'opus', sampleRateHz: 48000 } });
    expect((await errorFor(opus, new Uint8Array([0x01, 0xff, 0xff, 0xff, 1, 2, 3]))).code).toBe('CODEC_DECODE_FAILED');
    expect((await errorFor(opus, new Uint8Array([0x01]))).code).toBe('INVALID_AUDIO');
    await turnCompletes(opus);
    opus.ws.close();

    // A version this server does not speak is fatal: the client must not go on.
    const old = await RawPeer.open(fake.server.voiceUrl);
    expect(await errorFor(old, { ...SESSION_START_PCM16, version: 2 })).toMatchObject({ code: 'UNSUPPORTED_VERSION', fatal: true });
    expect((await old.closed).code).toBe(4001);

    // Caller B finished its answer, audio and all, with no error.
    const done = await bDone;
    expect(done.timings.audioMs).toBe(600);
    expect(bAudioSamples).toBeGreaterThanOrEqual(600 * 16); // Opus at the default 16 kHz
    expect(bErrors).toEqual([]);
    await b.end();
  });

  it('closes with 1009 past the transport hard limit, and only that connection', async () => {
    const big = await RawPeer.open(fake.server.voiceUrl);
    const other = await RawPeer.open(fake.server.voiceUrl);
    await startSession(other);
    big.send(new Uint8Array(MAX_MESSAGE_BYTES * 4 + 1));
    expect((await big.closed).code).toBe(1009);
    await turnCompletes(other);
    other.ws.close();
  });
});
