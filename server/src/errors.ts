// GatewayError: the server's error type. Branch on `code`, never on message text.
import type { ErrorCode } from '../../client-sdk/src/protocol/error-codes.ts';

export { ERROR_CODES, type ErrorCode } from '../../client-sdk/src/protocol/error-codes.ts';

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
