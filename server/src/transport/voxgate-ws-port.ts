// voxgate's own protocol over a WebSocket (/v1/voice): JSON control frames, binary audio frames with a kind byte.
import { encodeAudioFrame, encodeServerMessage, type ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { PortInput } from './media-port.ts';
import { readVoxgateMessage } from './voxgate-wire.ts';
import { WsPort } from './ws-port.ts';

export class VoxgateWsPort extends WsPort {
  readonly dialect = 'voxgate';

  onInput(listener: (input: PortInput, wireBytes: number) => void): void {
    this.link.onMessage((binary, data) => listener(readVoxgateMessage(binary, data), data.byteLength));
  }

  send(msg: ServerMessage): void {
    this.link.sendText(encodeServerMessage(msg));
  }

  sendAudio(payload: Uint8Array): void {
    this.link.sendBinary(encodeAudioFrame(payload));
  }
}
