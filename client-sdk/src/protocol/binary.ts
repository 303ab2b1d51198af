// Binary frames: one kind byte, then the payload. Audio payloads are sliced, not copied.
import { BinaryKind, FIRST_EXTENSION_KIND } from './constants.ts';
import { ok, violation, type Decoded } from './result.ts';

export type BinaryFrame =
  | { kind: 'audio'; payload: Uint8Array }
  /** A kind from the extension range: the receiver ignores it unless it knows it. */
  | { kind: 'extension'; kindByte: number; payload: Uint8Array };

export function encodeAudioFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(1 + payload.byteLength);
  frame[0] = BinaryKind.audio;
  frame.set(payload, 1);
  return frame;
}

export function decodeBinaryFrame(bytes: Uint8Array): Decoded<BinaryFrame> {
  const kindByte = bytes[0];
  if (kindByte === undefined) return violation('BAD_REQUEST', 'empty binary frame: the first byte must name its kind');
  const payload = bytes.subarray(1);
  if (kindByte === BinaryKind.audio) return ok({ kind: 'audio', payload });
  if (kindByte >= FIRST_EXTENSION_KIND) return ok({ kind: 'extension', kindByte, payload });
  return violation('BAD_REQUEST', `unknown binary frame kind 0x${kindByte.toString(16).padStart(2, '0')}`);
}
