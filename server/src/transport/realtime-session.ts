// The OpenAI Realtime API's session object → what voxgate can honour. Both shapes: GA (`type: "realtime"`, audio
// under `audio.input` / `audio.output`, `output_modalities`) and beta (flat `input_audio_format`, `modalities`,
// `turn_detection`). Unknown fields are ignored; known features voxgate does not have are reported by name.
import type { MediaFormat } from './media-port.ts';

export interface RealtimeSessionConfig {
  input: MediaFormat;
  output: MediaFormat;
  /** false: the client commits turns (turn_detection null). */
  vad: boolean;
  silenceDurationMs: number | undefined;
  /** true: answers are text only (output_modalities ["text"]). */
  textOnly: boolean;
}

export const DEFAULT_REALTIME_SESSION: RealtimeSessionConfig = {
  input: { codec: 'pcm16', sampleRateHz: 24000 },
  output: { codec: 'pcm16', sampleRateHz: 24000 },
  vad: true,
  silenceDurationMs: undefined,
  textOnly: false,
};

export interface SessionUpdate {
  config: RealtimeSessionConfig;
  /** Fields set to something voxgate does not do, by their path (`session.tools`). */
  unsupported: string[];
  /** Fields with values that are not valid at all, by path and why. */
  invalid: { param: string; message: string }[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);

export function applySessionUpdate(current: RealtimeSessionConfig, session: Json, beta: boolean): SessionUpdate {
  const config = { ...current };
  const unsupported: string[] = [];
  const invalid: { param: string; message: string }[] = [];
  const input = beta ? undefined : obj(obj(session['audio'])?.['input']);
  const output = beta ? undefined : obj(obj(session['audio'])?.['output']);

  const inFormat = beta ? session['input_audio_format'] : input?.['format'];
  if (inFormat !== undefined) {
    const f = formatOf(inFormat);
    if (f === undefined) invalid.push({ param: beta ? 'session.input_audio_format' : 'session.audio.input.format', message: `unsupported format ${JSON.stringify(inFormat)}` });
    else config.input = f;
  }
  const outFormat = beta ? session['output_audio_format'] : output?.['format'];
  if (outFormat !== undefined) {
    const f = formatOf(outFormat);
    if (f === undefined) invalid.push({ param: beta ? 'session.output_audio_format' : 'session.audio.output.format', message: `unsupported format ${JSON.stringify(outFormat)}` });
    else config.output = f;
  }

  const tdPath = beta ? 'session.turn_detection' : 'session.audio.input.turn_detection';
  const td = beta ? session['turn_detection'] : input?.['turn_detection'];
  if (td === null) config.vad = false;
  else if (td !== undefined) {
    const t = obj(td);
    const type = t?.['type'];
    // semantic_vad is served by the same VAD: voxgate has no semantic end-of-turn model.
    if (type !== 'server_vad' && type !== 'semantic_vad') invalid.push({ param: `${tdPath}.type`, message: `turn detection ${JSON.stringify(type)}: server_vad, semantic_vad or null` });
    else {
      config.vad = true;
      const silence = t?.['silence_duration_ms'];
      if (typeof silence === 'number' && silence >= 100 && silence <= 10_000) config.silenceDurationMs = Math.round(silence);
      else if (silence !== undefined) invalid.push({ param: `${tdPath}.silence_duration_ms`, message: 'a number of ms, 100 to 10000' });
      if (t?.['create_response'] === false) unsupported.push(`${tdPath}.create_response`);
      if (t?.['interrupt_response'] === false) unsupported.push(`${tdPath}.interrupt_response`);
    }
  }

  const modalities = beta ? session['modalities'] : session['output_modalities'];
  if (modalities !== undefined) {
    const list = Array.isArray(modalities) ? modalities : [];
    if (list.length === 0 || !list.every((m) => m === 'text' || m === 'audio')) {
      invalid.push({ param: beta ? 'session.modalities' : 'session.output_modalities', message: 'text or audio' });
    } else config.textOnly = !list.includes('audio');
  }

  const tools = session['tools'];
  if (Array.isArray(tools) && tools.length > 0) unsupported.push('session.tools');
  const voice = beta ? session['voice'] : output?.['voice'];
  if (voice !== undefined) unsupported.push(beta ? 'session.voice' : 'session.audio.output.voice');
  if (!beta && input?.['transcription'] !== undefined && input['transcription'] !== null) {
    // The caller's transcript always comes (it is the model's own [tq] part); no other transcription model runs.
    const model = obj(input['transcription'])?.['model'];
    if (model !== undefined) unsupported.push('session.audio.input.transcription.model');
  }
  return { config, unsupported, invalid };
}

/** A format object (GA) or name (beta) → a media format; undefined when voxgate does not take it. */
function formatOf(v: unknown): MediaFormat | undefined {
  if (typeof v === 'string') {
    if (v === 'pcm16') return { codec: 'pcm16', sampleRateHz: 24000 };
    if (v === 'g711_ulaw') return { codec: 'pcmu', sampleRateHz: 8000 };
    if (v === 'g711_alaw') return { codec: 'pcma', sampleRateHz: 8000 };
    return undefined;
  }
  const f = obj(v);
  const type = f?.['type'];
  if (type === 'audio/pcm') return f?.['rate'] === undefined || f['rate'] === 24000 ? { codec: 'pcm16', sampleRateHz: 24000 } : undefined;
  if (type === 'audio/pcmu') return { codec: 'pcmu', sampleRateHz: 8000 };
  if (type === 'audio/pcma') return { codec: 'pcma', sampleRateHz: 8000 };
  return undefined;
}

/** The session as the server reports it (session.created / session.updated), in the shape the client speaks. */
export function describeSession(id: string, model: string, c: RealtimeSessionConfig, beta: boolean): Json {
  const format = (f: MediaFormat): Json =>
    f.codec === 'pcmu' ? { type: 'audio/pcmu' } : f.codec === 'pcma' ? { type: 'audio/pcma' } : { type: 'audio/pcm', rate: f.sampleRateHz };
  const betaFormat = (f: MediaFormat): string => (f.codec === 'pcmu' ? 'g711_ulaw' : f.codec === 'pcma' ? 'g711_alaw' : 'pcm16');
  const turnDetection = c.vad ? { type: 'server_vad', silence_duration_ms: c.silenceDurationMs ?? null, create_response: true, interrupt_response: true } : null;
  if (beta) {
    return { id, object: 'realtime.session', model, modalities: c.textOnly ? ['text'] : ['text', 'audio'], input_audio_format: betaFormat(c.input), output_audio_format: betaFormat(c.output), turn_detection: turnDetection, tools: [] };
  }
  return {
    type: 'realtime',
    id,
    object: 'realtime.session',
    model,
    output_modalities: c.textOnly ? ['text'] : ['audio'],
    audio: { input: { format: format(c.input), turn_detection: turnDetection }, output: { format: format(c.output) } },
    tools: [],
  };
}
