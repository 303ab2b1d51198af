// Decoding of server → client text frames (the client's side). Checks the fields a client relies on;
// a type this client does not know decodes to undefined and is ignored, so servers can add events.
import { isObject, parseJson } from './fields.ts';
import type { ServerMessage, ServerMessageType } from './messages.ts';
import { ok, violation, type Decoded } from './result.ts';

type FieldKind = 'string' | 'number' | 'boolean' | 'object';

const REQUIRED: Readonly<Record<ServerMessageType, Readonly<Record<string, FieldKind>>>> = {
  'session.started': {
    sessionId: 'string',
    version: 'number',
    model: 'string',
    mode: 'string',
    vad: 'boolean',
    input: 'object',
    output: 'object',
    limits: 'object',
  },
  'speech.started': { turnId: 'string' },
  'speech.stopped': { turnId: 'string' },
  'transcript.delta': { turnId: 'string', text: 'string' },
  'transcript.final': { turnId: 'string', text: 'string' },
  'answer.delta': { turnId: 'string', text: 'string' },
  'answer.final': { turnId: 'string', text: 'string' },
  'audio.start': { turnId: 'string', codec: 'string', sampleRateHz: 'number', frameMs: 'number' },
  'audio.end': { turnId: 'string' },
  'turn.done': { turnId: 'string', mode: 'string', timings: 'object' },
  interrupted: { turnId: 'string' },
  error: { code: 'string', message: 'string', fatal: 'boolean' },
};

function isKnownType(type: string): type is ServerMessageType {
  return Object.hasOwn(REQUIRED, type);
}

function hasKind(v: unknown, kind: FieldKind): boolean {
  return kind === 'object' ? isObject(v) : typeof v === kind;
}

/** undefined value: a well-formed message of a type this client does not know. */
export function decodeServerMessage(text: string): Decoded<ServerMessage | undefined> {
  const parsed = parseJson(text);
  if (parsed === undefined || !isObject(parsed.value)) return violation('BAD_REQUEST', 'server sent a non-object text frame');
  const msg = parsed.value;
  const type = msg['type'];
  if (typeof type !== 'string') return violation('BAD_REQUEST', 'server message has no type');
  if (!isKnownType(type)) return ok(undefined);
  for (const [field, kind] of Object.entries(REQUIRED[type])) {
    if (!hasKind(msg[field], kind)) return violation('BAD_REQUEST', `server ${type}: ${field} must be a ${kind}`);
  }
  return ok(msg as unknown as ServerMessage);
}
