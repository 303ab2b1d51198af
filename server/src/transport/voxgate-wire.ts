// Reading voxgate protocol messages into port inputs: shared by the WebSocket and the WebRTC data channel, the two
// transports that carry our own protocol.
import { decodeBinaryFrame, decodeClientMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { PortInput } from './media-port.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readVoxgateMessage(binary: boolean, data: Uint8Array): PortInput {
  if (binary) {
    const frame = decodeBinaryFrame(data);
    if (!frame.ok) return { kind: 'invalid', ...frame.error };
    if (frame.value.kind === 'extension') return { kind: 'ignored', what: `binary kind 0x${frame.value.kindByte.toString(16)}` };
    return { kind: 'audio', payload: frame.value.payload };
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { kind: 'invalid', code: 'BAD_REQUEST', message: 'text frame is not valid UTF-8' };
  }
  const decoded = decodeClientMessage(text);
  if (!decoded.ok) {
    const { code, message } = decoded.error;
    return { kind: 'invalid', code, message, fatal: code === 'UNSUPPORTED_VERSION' };
  }
  const msg = decoded.value;
  if (msg.type === 'unknown') return { kind: 'ignored', what: `message type ${msg.rawType}` };
  return { kind: 'control', msg };
}
