// One upgraded WebSocket as a dialect's port sees it: ordered text and binary messages both ways, the send
// buffer's size, and a close that cannot hang. Every WebSocket dialect (voxgate, twilio, realtime) wraps one.
import { randomUUID } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';

/** How long a closing peer gets to answer our close frame before its socket is dropped. */
const CLOSE_GRACE_MS = 1_000;

export class WsLink {
  readonly id = randomUUID();
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.once('close', () => clearTimeout(this.closeTimer));
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendText(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    if (this.isOpen) this.ws.send(bytes, { binary: true });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.closeTimer !== undefined) return;
    this.ws.close(code, truncateReason(reason));
    // ws waits 30 s for the peer's close frame; a peer that stopped reading would hold its socket that long.
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  onMessage(listener: (binary: boolean, data: Uint8Array) => void): void {
    this.ws.on('message', (data: RawData, isBinary: boolean) => listener(isBinary, toBytes(data)));
  }

  onClose(listener: (code: number) => void): void {
    this.ws.once('close', (code: number) => listener(code));
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** A close reason is at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
