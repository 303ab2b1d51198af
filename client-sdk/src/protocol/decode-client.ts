// Strict decoding of client → server text frames (the server's side). Unknown types decode to 'unknown' and are ignored.
import { AUDIO_CODECS, MODES, PROTOCOL_VERSION, SAMPLE_RATES_HZ } from './constants.ts';
import {
  FieldError,
  isObject,
  numberField,
  objectField,
  oneOf,
  optionalBooleanField,
  optionalOneOf,
  parseJson,
  stringField,
  type JsonObject,
} from './fields.ts';
import type { ClientMessage, SessionStart } from './messages.ts';
import { ok, violation, type Decoded } from './result.ts';

export type DecodedClientMessage = ClientMessage | { type: 'unknown'; rawType: string };

export function decodeClientMessage(text: string): Decoded<DecodedClientMessage> {
  const parsed = parseJson(text);
  if (parsed === undefined) return violation('BAD_REQUEST', 'text frame is not valid JSON');
  const msg = parsed.value;
  if (!isObject(msg)) return violation('BAD_REQUEST', 'a control message must be a JSON object');
  if (typeof msg['type'] !== 'string') return violation('BAD_REQUEST', 'type must be a string');
  try {
    return ok(decodeFields(msg['type'], msg));
  } catch (err) {
    if (err instanceof FieldError) return violation(err.code, `${msg['type']}: ${err.message}`);
    throw err;
  }
}

function decodeFields(type: string, msg: JsonObject): DecodedClientMessage {
  switch (type) {
    case 'session.start':
      return decodeSessionStart(msg);
    case 'input.text': {
      const text = stringField(msg, 'text');
      if (text.trim().length === 0) throw new FieldError('BAD_REQUEST', 'text must not be empty');
      const mode = optionalOneOf(MODES, msg, 'mode');
      return mode === undefined ? { type, text } : { type, text, mode };
    }
    case 'input.commit':
    case 'response.cancel':
    case 'session.end':
      return { type };
    case 'session.update':
      return { type, mode: oneOf(MODES, msg, 'mode') };
    default:
      return { type: 'unknown', rawType: type };
  }
}

function decodeSessionStart(msg: JsonObject): SessionStart {
  const version = numberField(msg, 'version');
  if (version !== PROTOCOL_VERSION) {
    throw new FieldError('UNSUPPORTED_VERSION', `version ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`);
  }
  const input = objectField(msg, 'input');
  const output = objectField(msg, 'output');
  const outputRate = optionalOneOf(SAMPLE_RATES_HZ, output, 'sampleRateHz', 'output.sampleRateHz');
  const vad = optionalBooleanField(msg, 'vad');
  return {
    type: 'session.start',
    version,
    mode: oneOf(MODES, msg, 'mode'),
    input: {
      codec: oneOf(AUDIO_CODECS, input, 'codec', 'input.codec'),
      sampleRateHz: oneOf(SAMPLE_RATES_HZ, input, 'sampleRateHz', 'input.sampleRateHz'),
    },
    output: {
      codec: oneOf(AUDIO_CODECS, output, 'codec', 'output.codec'),
      ...(outputRate === undefined ? {} : { sampleRateHz: outputRate }),
    },
    ...(vad === undefined ? {} : { vad }),
  };
}
