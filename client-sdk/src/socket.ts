// The SDK's view of a WebSocket: each environment adapts its own (node/socket.ts wraps `ws`; a browser build
// wraps the global WebSocket) so the client core runs unchanged in both.

export interface SocketEvents {
  onOpen(): void;
  onText(text: string): void;
  onBinary(bytes: Uint8Array): void;
  onClose(code: number, reason: string): void;
  /** A failure before or during the connection; httpStatus when the server refused the upgrade. */
  onError(err: { message: string; httpStatus?: number }): void;
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
