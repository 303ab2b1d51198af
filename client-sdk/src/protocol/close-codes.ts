// Each error code's WebSocket close code, one-to-one so a client can name the reason from the close code alone.
// Standard codes where their meaning fits exactly (RFC 6455 §7.4, IANA registry); the rest in the 4000–4999 range.
import type { ErrorCode } from './messages.ts';

/** session.end, or the server finished a session on request. */
export const NORMAL_CLOSE = 1000;

export const CLOSE_CODES: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 4000,
  UNSUPPORTED_VERSION: 4001,
  NOT_READY: 4002,
  HANDSHAKE_REQUIRED: 4003,
  RATE_LIMITED: 4004,
  CODEC_DECODE_FAILED: 4005,
  INVALID_AUDIO: 4006,
  UNAUTHORIZED: 4007,
  SESSION_TIMEOUT: 4008,
  IDLE_TIMEOUT: 4009,
  SLOW_CONSUMER: 4010,
  MODEL_INVALID: 4011,
  MODEL_OUTPUT_MALFORMED: 4012,
  MODEL_OUTPUT_TOO_LONG: 4013,
  CONTEXT_FULL: 4014,
  TRANSPORT_FAILED: 4015,
  TOKEN_EXPIRED: 4016,
  TOKEN_INVALID: 4017,
  ORIGIN_NOT_ALLOWED: 4018,
  SHUTTING_DOWN: 1001,
  MESSAGE_TOO_LARGE: 1009,
  INTERNAL: 1011,
  SERVER_FULL: 1013,
};

/** Codes after which a new connection may succeed (after retryAfterMs when the error event gave one). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_READY',
  'SERVER_FULL',
  'SHUTTING_DOWN',
  'SESSION_TIMEOUT',
  'IDLE_TIMEOUT',
  'TRANSPORT_FAILED',
]);

export function closeCodeFor(code: ErrorCode): number {
  return CLOSE_CODES[code];
}

const byCloseCode = new Map<number, ErrorCode>(
  (Object.entries(CLOSE_CODES) as [ErrorCode, number][]).map(([code, close]) => [close, code]),
);

/** The error code a close code stands for; undefined for 1000 and codes voxgate does not send. */
export function errorCodeForClose(closeCode: number): ErrorCode | undefined {
  return byCloseCode.get(closeCode);
}
