// Every error the gateway reports carries one of these codes; docs/errors.md lists each with its meaning.
// Defined here, in the protocol, so the SDK stands alone; the server re-exports them.
export const ERROR_CODES = [
  'BAD_REQUEST', // malformed control message (invalid JSON, wrong types)
  'UNSUPPORTED_VERSION',
  'NOT_READY', // model still loading
  'HANDSHAKE_REQUIRED', // audio or control before the session handshake
  'MESSAGE_TOO_LARGE',
  'RATE_LIMITED',
  'CODEC_DECODE_FAILED',
  'INVALID_AUDIO',
  'SERVER_FULL',
  'UNAUTHORIZED', // missing or wrong token
  'TOKEN_EXPIRED', // a signed token past its expiry
  'TOKEN_INVALID', // a signed token whose signature or claims do not check
  'ORIGIN_NOT_ALLOWED', // a browser Origin not on the allow-list
  'SESSION_TIMEOUT',
  'IDLE_TIMEOUT',
  'SLOW_CONSUMER',
  'MODEL_INVALID',
  'MODEL_OUTPUT_MALFORMED',
  'MODEL_OUTPUT_TOO_LONG',
  'CONTEXT_FULL',
  'TRANSPORT_FAILED',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
