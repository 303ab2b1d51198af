// Malformed input for fault runs: what a broken or hostile client may put on each voxgate endpoint. Every
// message here must be refused or ignored by the gateway without touching any other caller. Seeded, so a run
// that finds a crash can be replayed.
import type { Rng } from '../rng.ts';

export type FaultEndpoint = 'voice' | 'twilio' | 'realtime';

export interface GarbageMessage {
  /** What kind of fault it is, for the run's tally. */
  kind: string;
  data: Uint8Array | string;
  /** Bytes to send in a text frame (invalid UTF-8 where text is expected). */
  asText?: boolean;
}

/** Bytes that are not UTF-8 (a lone continuation byte, an overlong form, a surrogate). */
const INVALID_UTF8 = [Uint8Array.of(0x80), Uint8Array.of(0xc0, 0xaf), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xff, 0xfe)];

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.between(0, 255);
  return out;
}

/** The start of a JSON object whose bytes then stop being UTF-8. */
function invalidUtf8(rng: Rng): Uint8Array {
  const bad = rng.pick(INVALID_UTF8);
  const out = new Uint8Array(bad.length + 2);
  out.set(new TextEncoder().encode('{"'));
  out.set(bad, 2);
  return out;
}

const COMMON: ((rng: Rng, maxMessageBytes: number) => GarbageMessage)[] = [
  (rng) => ({ kind: 'random-bytes', data: randomBytes(rng, rng.between(1, 400)) }),
  (rng) => ({ kind: 'invalid-json', data: '{"type": "session.start", "mode": ' + 'x'.repeat(rng.between(0, 40)) }),
  (rng) => ({ kind: 'json-not-object', data: rng.pick(['[]', '42', 'null', '"session.start"', 'true']) }),
  (rng) => ({ kind: 'invalid-utf8', data: invalidUtf8(rng), asText: true }),
  (rng, max) => ({ kind: 'oversized', data: randomBytes(rng, max + rng.between(1, max)) }),
  () => ({ kind: 'empty', data: new Uint8Array(0) }),
];

const BY_ENDPOINT: Record<FaultEndpoint, ((rng: Rng) => GarbageMessage)[]> = {
  voice: [
    (rng) => ({ kind: 'truncated-audio-frame', data: Uint8Array.of(0x01).subarray(0, rng.between(0, 1)) }),
    (rng) => ({ kind: 'odd-pcm16', data: Uint8Array.of(0x01, ...randomBytes(rng, 2 * rng.between(0, 80) + 1)) }),
    (rng) => ({ kind: 'reserved-kind', data: Uint8Array.of(rng.between(0x02, 0x7f), ...randomBytes(rng, 10)) }),
    (rng) => ({ kind: 'invalid-opus', data: Uint8Array.of(0x01, ...randomBytes(rng, rng.between(1, 120))) }),
    () => ({ kind: 'wrong-types', data: JSON.stringify({ type: 'session.start', version: 'one', mode: 7, input: [] }) }),
    () => ({ kind: 'unknown-type', data: JSON.stringify({ type: 'session.explode' }) }),
    (rng) => ({ kind: 'out-of-order', data: JSON.stringify(rng.pick<object>([{ type: 'input.commit' }, { type: 'response.cancel' }, { type: 'input.text', text: 'hi' }, { type: 'session.update', mode: 'text-to-text' }])) }),
  ],
  twilio: [
    () => ({ kind: 'media-before-start', data: JSON.stringify({ event: 'media', media: { payload: 'AAAA' } }) }),
    (rng) => ({ kind: 'bad-base64', data: JSON.stringify({ event: 'media', media: { payload: '%%%' + 'x'.repeat(rng.between(0, 30)) } }) }),
    () => ({ kind: 'wrong-types', data: JSON.stringify({ event: 'start', start: 'now', streamSid: 5 }) }),
    () => ({ kind: 'unknown-event', data: JSON.stringify({ event: 'teleport' }) }),
    () => ({ kind: 'mark-unknown', data: JSON.stringify({ event: 'mark', mark: { name: 'nobody' } }) }),
  ],
  realtime: [
    (rng) => ({ kind: 'bad-base64', data: JSON.stringify({ type: 'input_audio_buffer.append', audio: '***' + 'y'.repeat(rng.between(0, 30)) }) }),
    () => ({ kind: 'odd-pcm16', data: JSON.stringify({ type: 'input_audio_buffer.append', audio: 'AAA=' }) }),
    () => ({ kind: 'wrong-types', data: JSON.stringify({ type: 'session.update', session: 'fast' }) }),
    () => ({ kind: 'unknown-type', data: JSON.stringify({ type: 'response.teleport' }) }),
    (rng) => ({ kind: 'out-of-order', data: JSON.stringify(rng.pick<object>([{ type: 'response.cancel' }, { type: 'input_audio_buffer.commit' }, { type: 'conversation.item.truncate', item_id: 'x', content_index: 0, audio_end_ms: -1 }])) }),
  ],
};

/** One malformed message for the endpoint: about half of them generic, half in the endpoint's own dialect. */
export function garbageMessage(rng: Rng, endpoint: FaultEndpoint, maxMessageBytes: number): GarbageMessage {
  if (rng.next() < 0.5) return rng.pick(COMMON)(rng, maxMessageBytes);
  return rng.pick(BY_ENDPOINT[endpoint])(rng);
}
