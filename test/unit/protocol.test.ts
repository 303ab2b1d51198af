// Round trips of every protocol message against byte fixtures: the SDK and the server share these functions, and
// the fixtures pin the wire so neither side can drift without a test failing.
import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  closeCodeFor,
  decodeBinaryFrame,
  decodeClientMessage,
  decodeServerMessage,
  encodeAudioFrame,
  encodeClientMessage,
  encodeServerMessage,
  errorCodeForClose,
  float32ToPcm16Bytes,
  pcm16BytesToFloat32,
  type ClientMessage,
  type ServerMessage,
} from '../../client-sdk/src/protocol/index.ts';
import { ERROR_CODES } from '../../server/src/errors.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const CLIENT_FIXTURES: [ClientMessage, string][] = [
  [
    { type: 'session.start', version: 1, mode: 'speech-to-speech', input: { codec: 'opus', sampleRateHz: 48000 }, output: { codec: 'opus' }, vad: true },
    '{"type":"session.start","version":1,"mode":"speech-to-speech","input":{"codec":"opus","sampleRateHz":48000},"output":{"codec":"opus"},"vad":true}',
  ],
  [
    { type: 'session.start', version: 1, mode: 'text-to-text', input: { codec: 'pcm16', sampleRateHz: 16000 }, output: { codec: 'pcm16', sampleRateHz: 16000 } },
    '{"type":"session.start","version":1,"mode":"text-to-text","input":{"codec":"pcm16","sampleRateHz":16000},"output":{"codec":"pcm16","sampleRateHz":16000}}',
  ],
  [{ type: 'input.text', text: 'héllo "wörld"' }, '{"type":"input.text","text":"héllo \\"wörld\\""}'],
  [{ type: 'input.text', text: 'hi', mode: 'text-to-speech' }, '{"type":"input.text","text":"hi","mode":"text-to-speech"}'],
  [{ type: 'input.commit' }, '{"type":"input.commit"}'],
  [{ type: 'response.cancel' }, '{"type":"response.cancel"}'],
  [{ type: 'session.update', mode: 'speech-to-text' }, '{"type":"session.update","mode":"speech-to-text"}'],
  [{ type: 'session.end' }, '{"type":"session.end"}'],
];

const SERVER_FIXTURES: [ServerMessage, string][] = [
  [
    {
      type: 'session.started', sessionId: 's1', version: 1, model: 'voxgate-tiny-en', mode: 'speech-to-speech', vad: true,
      input: { codec: 'opus', sampleRateHz: 48000 }, output: { codec: 'opus', sampleRateHz: 48000, frameMs: 20 },
      limits: { maxMessageBytes: 65536, maxFramesPerSecond: 100, sessionTimeoutMs: 1800000, idleTimeoutMs: 60000, outputLeadMs: 150 },
    },
    '{"type":"session.started","sessionId":"s1","version":1,"model":"voxgate-tiny-en","mode":"speech-to-speech","vad":true,' +
      '"input":{"codec":"opus","sampleRateHz":48000},"output":{"codec":"opus","sampleRateHz":48000,"frameMs":20},' +
      '"limits":{"maxMessageBytes":65536,"maxFramesPerSecond":100,"sessionTimeoutMs":1800000,"idleTimeoutMs":60000,"outputLeadMs":150}}',
  ],
  [{ type: 'speech.started', turnId: 't1' }, '{"type":"speech.started","turnId":"t1"}'],
  [{ type: 'speech.stopped', turnId: 't1' }, '{"type":"speech.stopped","turnId":"t1"}'],
  [{ type: 'transcript.delta', turnId: 't1', text: 'what' }, '{"type":"transcript.delta","turnId":"t1","text":"what"}'],
  [{ type: 'transcript.final', turnId: 't1', text: 'what time' }, '{"type":"transcript.final","turnId":"t1","text":"what time"}'],
  [{ type: 'answer.delta', turnId: 't1', text: 'It' }, '{"type":"answer.delta","turnId":"t1","text":"It"}'],
  [{ type: 'answer.final', turnId: 't1', text: 'It is noon.' }, '{"type":"answer.final","turnId":"t1","text":"It is noon."}'],
  [
    { type: 'audio.start', turnId: 't1', codec: 'opus', sampleRateHz: 48000, frameMs: 20 },
    '{"type":"audio.start","turnId":"t1","codec":"opus","sampleRateHz":48000,"frameMs":20}',
  ],
  [{ type: 'audio.end', turnId: 't1' }, '{"type":"audio.end","turnId":"t1"}'],
  [
    { type: 'turn.done', turnId: 't1', mode: 'speech-to-speech', timings: { endOfInputMs: 10, ttfaMs: 210, totalMs: 900, inputUnits: 40, outputTextTokens: 12, outputUnits: 80, audioMs: 1600 } },
    '{"type":"turn.done","turnId":"t1","mode":"speech-to-speech","timings":{"endOfInputMs":10,"ttfaMs":210,"totalMs":900,"inputUnits":40,"outputTextTokens":12,"outputUnits":80,"audioMs":1600}}',
  ],
  [{ type: 'interrupted', turnId: 't1' }, '{"type":"interrupted","turnId":"t1"}'],
  [
    { type: 'error', code: 'SERVER_FULL', message: 'all 16 sessions are in use', fatal: true, retryAfterMs: 2000 },
    '{"type":"error","code":"SERVER_FULL","message":"all 16 sessions are in use","fatal":true,"retryAfterMs":2000}',
  ],
  [
    { type: 'error', code: 'CODEC_DECODE_FAILED', message: 'bad packet', fatal: false, turnId: 't2' },
    '{"type":"error","code":"CODEC_DECODE_FAILED","message":"bad packet","fatal":false,"turnId":"t2"}',
  ],
];

describe('protocol text frames', () => {
  it.each(CLIENT_FIXTURES)('client %j round-trips its fixture', (msg, fixture) => {
    expect(hex(utf8(encodeClientMessage(msg)))).toBe(hex(utf8(fixture)));
    expect(decodeClientMessage(fixture)).toEqual({ ok: true, value: msg });
  });

  it.each(SERVER_FIXTURES)('server %j round-trips its fixture', (msg, fixture) => {
    expect(hex(utf8(encodeServerMessage(msg)))).toBe(hex(utf8(fixture)));
    expect(decodeServerMessage(fixture)).toEqual({ ok: true, value: msg });
  });

  it('decodes an unknown client type as ignorable, not as an error', () => {
    expect(decodeClientMessage('{"type":"x.future","a":1}')).toEqual({ ok: true, value: { type: 'unknown', rawType: 'x.future' } });
  });

  it('decodes an unknown server type as undefined (ignored by clients)', () => {
    expect(decodeServerMessage('{"type":"x.future"}')).toEqual({ ok: true, value: undefined });
  });

  it.each([
    ['not json', 'BAD_REQUEST'],
    ['"a string"', 'BAD_REQUEST'],
    ['null', 'BAD_REQUEST'],
    ['{"no":"type"}', 'BAD_REQUEST'],
    ['{"type":"input.text"}', 'BAD_REQUEST'],
    ['{"type":"input.text","text":7}', 'BAD_REQUEST'],
    ['{"type":"input.text","text":"hi","mode":"shout"}', 'BAD_REQUEST'],
    ['{"type":"session.update"}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":1,"mode":"speech-to-speech","input":{"codec":"mp3","sampleRateHz":16000},"output":{"codec":"opus"}}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":1,"mode":"speech-to-speech","input":{"codec":"opus","sampleRateHz":44100},"output":{"codec":"opus"}}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":1,"mode":"speech-to-speech","input":{"codec":"opus","sampleRateHz":16000}}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":1,"mode":"speech-to-speech","input":{"codec":"opus","sampleRateHz":16000},"output":{"codec":"opus"},"vad":"yes"}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":"1"}', 'BAD_REQUEST'],
    ['{"type":"session.start","version":2}', 'UNSUPPORTED_VERSION'],
  ])('rejects %s with %s', (text, code) => {
    const r = decodeClientMessage(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('rejects a known server message missing a field', () => {
    expect(decodeServerMessage('{"type":"answer.delta","turnId":"t1"}').ok).toBe(false);
  });
});

describe('protocol binary frames', () => {
  it('prefixes audio with kind 0x01 and slices it back out', () => {
    const frame = encodeAudioFrame(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(hex(frame)).toBe('01deadbeef');
    const r = decodeBinaryFrame(frame);
    expect(r.ok && r.value.kind === 'audio' && hex(r.value.payload)).toBe('deadbeef');
  });

  it('passes extension kinds through and rejects unknown protocol kinds and empty frames', () => {
    expect(decodeBinaryFrame(new Uint8Array([0x80, 1]))).toMatchObject({ ok: true, value: { kind: 'extension', kindByte: 0x80 } });
    expect(decodeBinaryFrame(new Uint8Array([0x02, 1]))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(decodeBinaryFrame(new Uint8Array([]))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('encodes pcm16 as little-endian int16 with an exact int → float → int round trip', () => {
    const fixture = new Uint8Array([0x00, 0x00, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x40, 0x01, 0x00]);
    const floats = pcm16BytesToFloat32(fixture);
    expect([...floats]).toEqual([0, 32767 / 32768, -1, 0.5, 1 / 32768]);
    expect(hex(float32ToPcm16Bytes(floats))).toBe(hex(fixture));
    // Clipping and NaN: out-of-range floats saturate, NaN is silence.
    expect(hex(float32ToPcm16Bytes(new Float32Array([2, -2, Number.NaN])))).toBe('ff7f00800000');
    // Payloads at odd offsets (after the kind byte) decode too.
    const framed = encodeAudioFrame(fixture);
    expect([...pcm16BytesToFloat32(framed.subarray(1))]).toEqual([...floats]);
  });
});

describe('close codes', () => {
  it('gives every error code its own valid close code, and maps it back', () => {
    expect(Object.keys(CLOSE_CODES).sort()).toEqual([...ERROR_CODES].sort());
    const codes = Object.values(CLOSE_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of ERROR_CODES) {
      const close = closeCodeFor(code);
      expect(close === 1001 || close === 1009 || close === 1011 || close === 1013 || (close >= 4000 && close <= 4999)).toBe(true);
      expect(errorCodeForClose(close)).toBe(code);
    }
    expect(errorCodeForClose(1000)).toBeUndefined();
  });
});
