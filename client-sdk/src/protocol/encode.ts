// Encoding of text frames. Both sides encode with these so the JSON on the wire has one spelling.
import type { ClientMessage, ServerMessage } from './messages.ts';

export function encodeClientMessage(msg: ClientMessage): string {
  return JSON.stringify(msg);
}

export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}
