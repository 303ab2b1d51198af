// Errors the SDK reports: always with the protocol's error code, so applications branch on `code`.
import type { ErrorCode } from './protocol/index.ts';

export class VoiceClientError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${code}: ${message}`);
    this.name = 'VoiceClientError';
  }
}
