// What a decoder returns: a value, or the protocol error to answer with. Decoders never throw on peer input.
import type { ErrorCode } from './messages.ts';

export interface ProtocolViolation {
  code: ErrorCode;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: ProtocolViolation };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function violation<T>(code: ErrorCode, message: string): Decoded<T> {
  return { ok: false, error: { code, message } };
}
