// Every error the gateway reports carries one of these codes; docs/errors.md lists each with its meaning.
// Branch on `code`, never on message text.
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
  'UNAUTHORIZED',
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

export interface GatewayErrorOptions {
  retryable?: boolean;
  /** WebSocket close code when the error ends the connection. */
  closeCode?: number;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly retryable: boolean;
  readonly closeCode: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    opts: GatewayErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.retryable = opts.retryable ?? false;
    this.closeCode = opts.closeCode;
  }
}
