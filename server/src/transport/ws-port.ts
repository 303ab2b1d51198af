// The part every WebSocket dialect's port shares: identity, send buffer, closing. Subclasses read and write the
// dialect's messages.
import type { ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { MediaPort, PortInput } from './media-port.ts';
import type { WsLink } from './ws-link.ts';

export abstract class WsPort implements MediaPort {
  abstract readonly dialect: string;

  constructor(protected readonly link: WsLink) {}

  get id(): string {
    return this.link.id;
  }

  get remoteAddress(): string {
    return this.link.remoteAddress;
  }

  get bufferedBytes(): number {
    return this.link.bufferedBytes;
  }

  get isOpen(): boolean {
    return this.link.isOpen;
  }

  onClose(listener: (code: number) => void): void {
    this.link.onClose(listener);
  }

  close(code: number, reason: string): void {
    this.link.close(code, reason);
  }

  abstract onInput(listener: (input: PortInput, wireBytes: number) => void): void;
  abstract send(msg: ServerMessage): void;
  abstract sendAudio(payload: Uint8Array, turnId: string, frameMs: number): void;
}
