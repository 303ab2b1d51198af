// The SDK's view of a WebSocket: each environment adapts its own (node/socket.ts wraps `ws`; a browser build
// wraps the global WebSocket) so the client core runs unchanged in both.
import type { ErrorCode } from './protocol/index.ts';

export interface SocketEvents {
  onOpen(): void;
  onText(text: string): void;
  onBinary(bytes: Uint8Array): void;
  onClose(code: number, reason: string): void;
  /**
   * A failure before or during the connection. When the server refused the upgrade: its HTTP status, and the
   * error code and retry advice it gave (http-refusal.ts); a browser's WebSocket sees none of them.
   */
  onError(err: { message: string; httpStatus?: number; code?: ErrorCode; retryAfterMs?: number }): void;
}

export interface SocketLike {
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued for sending: callers streaming audio can watch it. */
  readonly bufferedAmount: number;
}

export interface SocketRequest {
  url: string;
  /** Sent as `Authorization: Bearer` where the environment allows headers, else as ?token=. */
  token?: string;
}

export type SocketFactory = (req: SocketRequest, events: SocketEvents) => SocketLike;
