// What the gateway needs from a transport: one caller's ordered, message-framed, bidirectional channel.
// ws.ts adapts a WebSocket to it; other transports (WebRTC data channels) can do the same.

export interface InboundMessage {
  /** false: a text frame, still UTF-8 bytes so its size is checked before it is decoded. */
  binary: boolean;
  data: Uint8Array;
}

export interface Connection {
  readonly id: string;
  readonly remoteAddress: string;
  /** Bytes accepted by send*() but not yet handed to the kernel: the slow-consumer signal. */
  readonly bufferedBytes: number;
  readonly isOpen: boolean;
  sendText(text: string): void;
  sendBinary(bytes: Uint8Array): void;
  /** Starts the closing handshake; a peer that does not answer within a short bound is dropped. */
  close(code: number, reason: string): void;
  onMessage(listener: (msg: InboundMessage) => void): void;
  /** Called once, however the connection ends (either side, or a network failure). */
  onClose(listener: (code: number) => void): void;
}
