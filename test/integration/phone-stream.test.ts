// /v1/twilio through the real ws server on the fake engine: the Twilio, Telnyx and Exotel dialects, marks as the
// truth of what the caller heard, clear on barge-in, and every bad message answered (logged) without touching
// another call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../server/src/gateway/log.ts';
import { PhoneClient } from '../../server/src/loadtest/phone-client.ts';
import { startFakeServer, startTestServer, FakeEngine, type FakeServer } from '../helpers/fake-engine.ts';

const tone = (ms: number, amp = 0.4) => Float32Array.from({ length: ms * 16 }, (_, i) => amp * Math.sin((2 * Math.PI * 300 * i) / 16000));
const quiet = (ms: number) => new Float32Array(ms * 16);
const rms = (pcm: Float32Array[]) => {
  let s = 0;
  let n = 0;
  for (const p of pcm) for (const x of p) (s += x * x), n++;
  return Math.sqrt(s / Math.max(1, n));
};

class MemoryLog implements Logger {
  readonly lines: { level: string; msg: string; fields: LogFields }[] = [];
  debug = (msg: string, fields: LogFields = {}) => void this.lines.push({ level: 'debug', msg, fields });
  info = (msg: string, fields: LogFields = {}) => void this.lines.push({ level: 'info', msg, fields });
  warn = (msg: string, fields: LogFields = {}) => void this.lines.push({ level: 'warn', msg, fields });
  error = (msg: string, fields: LogFields = {}) => void this.lines.push({ level: 'error', msg, fields });
  child = (bound: LogFields): Logger => {
    const at = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields: LogFields = {}) => this[level](msg, { ...bound, ...fields });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => this.child({ ...bound, ...more }) };
  };
  codes(callId: string | undefined): unknown[] {
    return this.lines.filter((l) => l.msg === 'phone stream error' && l.fields['callId'] === callId).map((l) => l.fields['code']);
  }
}

let fake: FakeServer;
const log = new MemoryLog();

beforeAll(async () => {
  fake = await startTestServer(new FakeEngine({ answerAudioMs: 600, audioChunkMs: 100 }), { endOfSpeechSilenceMs: 300 }, log);
});
afterAll(async () => {
  await fake.close();
});

describe('phone media streams (fake engine)', () => {
  it('Twilio: a μ-law caller is answered in μ-law media chunks, each followed by a mark the caller acknowledges', async () => {
    const phone = await PhoneClient.open(fake.server.phoneUrl, { parameters: { mode: 'speech-to-speech' } });
    phone.start();
    await phone.speak(tone(400), 4);
    await phone.speak(quiet(500), 4);
    await phone.until(() => phone.audioMs >= 600 && phone.acknowledgedMarks === phone.events('mark').length, 10_000, 'the answer played');
    const media = phone.events('media');
    // 600 ms in 60 ms chunks of 480 μ-law bytes (the resampler's tail may add one short chunk); every message
    // carries the stream id.
    expect(media.length).toBeGreaterThanOrEqual(10);
    expect(phone.audioMs).toBeLessThanOrEqual(640);
    expect(media.every((m) => typeof m['streamSid'] === 'string' && (m['streamSid'] as string).startsWith('MZ'))).toBe(true);
    expect(phone.audio.slice(0, 10).every((a) => a.length === 480)).toBe(true);
    expect(rms(phone.audio)).toBeGreaterThan(0.1); // the tone survived 16 → 8 kHz and μ-law
    // A mark follows each chunk, in order.
    const kinds = phone.received.map((m) => m['event']);
    expect(kinds.filter((k) => k === 'mark')).toHaveLength(media.length);
    expect(kinds.indexOf('mark')).toBe(kinds.indexOf('media') + 1);
    expect(phone.events('clear')).toHaveLength(0);
    const session = fake.engine.sessions.at(-1);
    expect(session?.audioSamples).toBeGreaterThan(14_000); // ~900 ms of 16 kHz audio reached the engine
    expect(session?.options.narrowbandInput).toBe(true); // 8 kHz μ-law: voice activity scored at the line's rate
    phone.stop();
    expect((await phone.closed).code).toBe(1000);
    const closed = await fake.callClosed((c) => c.sessionId === session?.id);
    expect(closed.errorCode).toBeUndefined();
  });

  it('barge-in: caller speech over the answer gets `clear`, and the answer is cut at the last acknowledged mark', async () => {
    const long = await startFakeServer({ endOfSpeechSilenceMs: 300 }, { answerAudioMs: 4000, audioChunkMs: 200 });
    try {
      const phone = await PhoneClient.open(long.server.phoneUrl);
      phone.start();
      await phone.speak(tone(300), 4);
      await phone.speak(quiet(400), 4);
      await phone.until(() => phone.acknowledgedMarks >= 8, 10_000, 'some of the answer played');
      const heardByCaller = phone.acknowledgedMarks * 60;
      await phone.speak(tone(200), 2);
      await phone.until(() => phone.clears === 1, 5_000, 'clear');
      const session = long.engine.sessions[0];
      const cut = session?.cuts[0];
      expect(cut?.turnId).toBe(`${session?.id}-t1`);
      // What the marks confirmed, not what was sent: at most what the caller had acknowledged by the barge-in
      // (plus the chunks acknowledged while the interruption travelled), and far less than the 4 s sent.
      expect(cut?.heardMs).toBeGreaterThanOrEqual(heardByCaller);
      expect(cut?.heardMs).toBeLessThan(phone.audioMs);
      expect(phone.audioMs).toBeLessThan(4000);
      // Nothing of the cut answer follows the clear.
      const mediaAtClear = phone.events('media').length;
      await new Promise((r) => setTimeout(r, 300));
      const afterClear = phone.received.slice(phone.received.findIndex((m) => m['event'] === 'clear'));
      expect(afterClear.filter((m) => m['event'] === 'media').length).toBe(phone.events('media').length - mediaAtClear);
      phone.close();
    } finally {
      await long.close();
    }
  });

  it.each([
    { dialect: 'telnyx', codec: 'pcma', idField: 'stream_id', bytesPerChunk: 480 },
    { dialect: 'exotel', codec: 'pcm16', idField: 'stream_sid', bytesPerChunk: 1600 },
  ] as const)('$dialect: detected from the start message, answered in its own field names and codec', async ({ dialect, codec, idField, bytesPerChunk }) => {
    const phone = await PhoneClient.open(fake.server.phoneUrl, { dialect, codec });
    phone.start();
    await phone.speak(tone(400), 4);
    await phone.speak(quiet(500), 4);
    await phone.until(() => phone.audioMs >= 600, 10_000, 'the answer');
    const media = phone.events('media');
    expect(media.every((m) => typeof m[idField] === 'string' && m['streamSid'] === undefined)).toBe(true);
    // Telnyx: 60 ms of A-law (480 bytes); Exotel: 100 ms of 16-bit PCM at 8 kHz (1600 bytes, a multiple of 320).
    const sizes = media.map((m) => Buffer.from((m['media'] as { payload: string }).payload, 'base64').length);
    expect(sizes.slice(0, -1).every((n) => n === bytesPerChunk)).toBe(true);
    expect(rms(phone.audio)).toBeGreaterThan(0.1);
    phone.close();
  });

  it('answers every bad message with its documented code (logged: providers take no errors back) while another call goes on', async () => {
    const good = await PhoneClient.open(fake.server.phoneUrl);
    good.start();
    const goodSpeech = (async () => {
      await good.speak(tone(400), 2);
      await good.speak(quiet(500), 2);
    })();
    const bad = await PhoneClient.open(fake.server.phoneUrl);
    const callId = () => log.lines.find((l) => l.msg === 'phone stream error' && l.fields['message'] === 'media before start')?.fields['callId'] as string | undefined;
    bad.sendJson({ event: 'media', media: { payload: 'AAAA' } }); // before start
    bad.send('not json');
    bad.send(new Uint8Array([1, 2, 3]));
    bad.sendJson({ no: 'event' });
    bad.start();
    bad.sendJson({ event: 'media', streamSid: 'x', media: { payload: '***' } });
    bad.sendJson({ event: 'mark', streamSid: 'x', mark: {} });
    bad.sendJson({ event: 'surprise' }); // unknown events are ignored
    bad.sendJson({ event: 'start', start: {} });
    await bad.until(() => log.codes(callId()).length >= 7, 5_000, 'errors logged');
    expect(log.codes(callId())).toEqual(['HANDSHAKE_REQUIRED', 'BAD_REQUEST', 'BAD_REQUEST', 'BAD_REQUEST', 'INVALID_AUDIO', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(bad.isOpen).toBe(true);
    // Nothing was logged against any other call on this server, the good caller's included.
    expect(log.lines.filter((l) => l.msg === 'phone stream error' && l.fields['callId'] !== callId())).toEqual([]);
    await goodSpeech;
    await good.until(() => good.audioMs >= 600, 10_000, 'the good caller answered');
    bad.close();
    good.close();
  });

  it('refuses an unsupported audio format or mode at start, with its close code', async () => {
    const wide = await PhoneClient.open(`${fake.server.phoneUrl}?dialect=telnyx`);
    wide.sendJson({ event: 'start', stream_id: 's1', start: { media_format: { encoding: 'OPUS', sample_rate: 16000 } } });
    expect(await wide.closed).toMatchObject({ code: 4005 }); // CODEC_DECODE_FAILED
    const mode = await PhoneClient.open(fake.server.phoneUrl, { parameters: { mode: 'karaoke' } });
    mode.start();
    expect(await mode.closed).toMatchObject({ code: 4000 }); // BAD_REQUEST
    const dialect = await PhoneClient.open(`${fake.server.phoneUrl}?dialect=skype`);
    dialect.start();
    expect(await dialect.closed).toMatchObject({ code: 4000 });
  });

  it('takes the token in the URL or, for providers that send neither headers nor query strings, in a start parameter', async () => {
    const secured = await startFakeServer({ authToken: 'phone-token-of-16-chars', endOfSpeechSilenceMs: 300 }, { answerAudioMs: 200 });
    try {
      const inUrl = await PhoneClient.open(`${secured.server.phoneUrl}?token=phone-token-of-16-chars`);
      const inStart = await PhoneClient.open(secured.server.phoneUrl, { parameters: { token: 'phone-token-of-16-chars' } });
      for (const phone of [inUrl, inStart]) {
        phone.start();
        await phone.speak(tone(300), 4);
        await phone.speak(quiet(400), 4);
        await phone.until(() => phone.audioMs >= 200, 5_000, 'an answer');
        phone.close();
      }
      const none = await PhoneClient.open(secured.server.phoneUrl);
      none.start();
      expect(await none.closed).toMatchObject({ code: 4007 }); // UNAUTHORIZED
      const wrongParam = await PhoneClient.open(secured.server.phoneUrl, { parameters: { token: 'guess' } });
      wrongParam.start();
      expect(await wrongParam.closed).toMatchObject({ code: 4007 });
      await expect(PhoneClient.open(`${secured.server.phoneUrl}?token=guess`)).rejects.toThrow(/401/);
    } finally {
      await secured.close();
    }
  });
});
