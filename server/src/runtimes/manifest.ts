// The model manifest: the one contract between a model folder and the gateway.
// docs/models.md documents every field; validateManifest() enforces it with errors naming file and field.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const MODES = ['speech-to-speech', 'speech-to-text', 'text-to-speech', 'text-to-text'] as const;
export type Mode = (typeof MODES)[number];

export interface UnitsSpec {
  /** ONNX file: input `pcm` float32 [1, N] → output `units` int64 [1, floor((N - leftContextSamples) / hopSamples)]. */
  file: string;
  /** Number of distinct units (k-means clusters, or a CTC head's phoneme classes). */
  count: number;
  frameMs: number;
  hopSamples: number;
  /** Samples of earlier audio (zeros at the start of an utterance) that must precede the new samples. */
  leftContextSamples: number;
  mergeRepeats: boolean;
  /** Heard unit i is the LM's unit token i + tokenOffset (default 0): an LM whose answers use other units
   * (its vocoder's) numbers the extractor's units after those. */
  tokenOffset: number;
}

export interface LmMarkers {
  transcript: string;
  answer: string;
  answerUnits: string;
  endOfAnswer: string;
  /** Text that separates one part from the next (e.g. ";"), trimmed from the parts. */
  separator: string;
}

/** What runs the LM: node-llama-cpp on a GGUF, or onnxruntime on an ONNX graph with embeddings input. */
export const LM_RUNTIMES = ['gguf', 'onnx'] as const;
export type LmRuntimeKind = (typeof LM_RUNTIMES)[number];

/** What the LM hears speech as: unit tokens (SpeechGPT) or adapted embeddings from `speech` (LLaSM). */
export const LM_INPUT_KINDS = ['units', 'embeddings'] as const;
export type LmInputKind = (typeof LM_INPUT_KINDS)[number];

export interface LmSpec {
  file: string;
  /** Default 'gguf'. 'onnx' needs `embeddings` and `tokens` beside the graph. */
  runtime: LmRuntimeKind;
  /** Default 'units'. 'embeddings' needs runtime 'onnx' and the manifest's `speech` part. */
  inputKind: LmInputKind;
  /** runtime 'onnx': the token-embedding table, float32 little-endian [tokens, dim]. */
  embeddings?: string;
  /** runtime 'onnx': JSON array of the token texts in id order. */
  tokens?: string;
  contextTokens: number;
  /**
   * Earlier turns the model reads before a new question (what it was trained with); older turns are erased.
   * Absent: as many as `contextTokens` hold.
   */
  earlierTurns?: number;
  /** Unit i is the token whose text is this pattern with {i} replaced, e.g. "<{i}>". */
  unitToken: string;
  /** Per-mode prompt with one {input} placeholder: units (speech) or text. */
  prompts: Record<Mode, string>;
  markers: LmMarkers;
  /** Caps per generated part, so runaway output ends with an error instead of running forever. */
  maxTokens: { transcript: number; answer: number; answerUnits: number };
  /**
   * Answer-unit pieces: unit token `firstUnit + k` stands for the spoken units `units[k]`, in order (a run of the
   * answers' units written as one token, so an answer takes fewer decode steps). Absent: one token per unit.
   */
  spokenPieces?: SpokenPieces;
}

export interface SpokenPieces {
  firstUnit: number;
  units: number[][];
}

export interface VocoderSpec {
  /** ONNX file: input `units` int64 [1, U] → outputs `audio` float32 [1, S] and `durations` int64 [1, U]. */
  file: string;
  sampleRateHz: number;
  hopSamples: number;
  durationPrediction: boolean;
  firstChunkUnits: number;
  chunkUnits: number;
  leftContextUnits: number;
  /** Units after a frame that still shape it; a stream holds them back until the next chunk (default 0). */
  lookaheadUnits: number;
  /** Distinct units the vocoder speaks, LM unit tokens 0..unitCount-1 (default units.count). */
  unitCount: number;
}

/** The LLaSM path's speech input (ONNX): input `pcm` float32 [1, N] → output `embeddings` float32
 * [1, floor((N - leftContextSamples) / hopSamples), dim], one adapted LM embedding per hop. */
export interface SpeechSpec {
  file: string;
  frameMs: number;
  hopSamples: number;
  leftContextSamples: number;
}

export interface Manifest {
  schemaVersion: 1;
  name: string;
  description?: string;
  sampleRateHz: number;
  units: UnitsSpec;
  /** Present when lm.inputKind is 'embeddings'. */
  speech?: SpeechSpec;
  lm: LmSpec;
  vocoder: VocoderSpec;
}

export interface LoadedManifest extends Manifest {
  /** Absolute folder the manifest was read from; part files resolve against it. */
  dir: string;
  paths: { units: string; lm: string; vocoder: string; lmEmbeddings?: string; lmTokens?: string; speech?: string };
}

export class ManifestError extends Error {
  readonly code = 'MODEL_INVALID' as const;
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`);
    this.name = 'ManifestError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(readonly file: string) {}

  obj(parent: Json, key: string, path: string): Json {
    const v = parent[key];
    if (!isObject(v)) throw new ManifestError(this.file, path, 'must be an object');
    return v;
  }

  str(parent: Json, key: string, path: string): string {
    const v = parent[key];
    if (typeof v !== 'string' || v.length === 0) throw new ManifestError(this.file, path, 'must be a non-empty string');
    return v;
  }

  int(parent: Json, key: string, path: string, min: number): number {
    const v = parent[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ManifestError(this.file, path, `must be an integer >= ${min}`);
    }
    return v;
  }

  bool(parent: Json, key: string, path: string): boolean {
    const v = parent[key];
    if (typeof v !== 'boolean') throw new ManifestError(this.file, path, 'must be true or false');
    return v;
  }
}

/** Checks a parsed manifest object; throws ManifestError naming the first bad field. */
export function validateManifest(raw: unknown, file = 'manifest.json'): Manifest {
  const r = new Reader(file);
  if (!isObject(raw)) throw new ManifestError(file, '(root)', 'must be a JSON object');
  if (raw['schemaVersion'] !== 1) throw new ManifestError(file, 'schemaVersion', 'must be 1');
  const name = r.str(raw, 'name', 'name');
  const sampleRateHz = r.int(raw, 'sampleRateHz', 'sampleRateHz', 8000);

  const u = r.obj(raw, 'units', 'units');
  const units: UnitsSpec = {
    file: r.str(u, 'file', 'units.file'),
    count: r.int(u, 'count', 'units.count', 2),
    frameMs: r.int(u, 'frameMs', 'units.frameMs', 1),
    hopSamples: r.int(u, 'hopSamples', 'units.hopSamples', 1),
    leftContextSamples: r.int(u, 'leftContextSamples', 'units.leftContextSamples', 0),
    mergeRepeats: r.bool(u, 'mergeRepeats', 'units.mergeRepeats'),
    tokenOffset: u['tokenOffset'] === undefined ? 0 : r.int(u, 'tokenOffset', 'units.tokenOffset', 0),
  };
  if (units.hopSamples * 1000 !== units.frameMs * sampleRateHz) {
    throw new ManifestError(file, 'units.frameMs', 'must equal hopSamples / sampleRateHz in ms');
  }

  const l = r.obj(raw, 'lm', 'lm');
  const unitToken = r.str(l, 'unitToken', 'lm.unitToken');
  if (!unitToken.includes('{i}')) throw new ManifestError(file, 'lm.unitToken', 'must contain {i}');
  const p = r.obj(l, 'prompts', 'lm.prompts');
  const prompts = {} as Record<Mode, string>;
  for (const mode of MODES) {
    const prompt = r.str(p, mode, `lm.prompts.${mode}`);
    if (prompt.split('{input}').length !== 2) {
      throw new ManifestError(file, `lm.prompts.${mode}`, 'must contain {input} exactly once');
    }
    prompts[mode] = prompt;
  }
  const m = r.obj(l, 'markers', 'lm.markers');
  const markers: LmMarkers = {
    transcript: r.str(m, 'transcript', 'lm.markers.transcript'),
    answer: r.str(m, 'answer', 'lm.markers.answer'),
    answerUnits: r.str(m, 'answerUnits', 'lm.markers.answerUnits'),
    endOfAnswer: r.str(m, 'endOfAnswer', 'lm.markers.endOfAnswer'),
    separator: r.str(m, 'separator', 'lm.markers.separator'),
  };
  const mt = r.obj(l, 'maxTokens', 'lm.maxTokens');
  const lmFile = r.str(l, 'file', 'lm.file');
  const runtime = l['runtime'] === undefined ? 'gguf' : r.str(l, 'runtime', 'lm.runtime');
  if (!(LM_RUNTIMES as readonly string[]).includes(runtime)) {
    throw new ManifestError(file, 'lm.runtime', `must be one of ${LM_RUNTIMES.join(', ')}`);
  }
  const onnxFiles = runtime === 'onnx' ? { embeddings: r.str(l, 'embeddings', 'lm.embeddings'), tokens: r.str(l, 'tokens', 'lm.tokens') } : {};
  if (runtime === 'onnx' && !lmFile.toLowerCase().endsWith('.onnx')) {
    throw new ManifestError(file, 'lm.file', 'runtime "onnx" runs an .onnx graph');
  }
  if (runtime === 'gguf') {
    if (lmFile.toLowerCase().endsWith('.onnx')) throw new ManifestError(file, 'lm.runtime', 'lm.file names an ONNX graph: set "runtime": "onnx"');
    for (const key of ['embeddings', 'tokens']) {
      if (l[key] !== undefined) throw new ManifestError(file, `lm.${key}`, 'belongs to runtime "onnx" only (a GGUF holds its own vocabulary and embeddings)');
    }
  }
  const inputKind = l['inputKind'] === undefined ? 'units' : r.str(l, 'inputKind', 'lm.inputKind');
  if (!(LM_INPUT_KINDS as readonly string[]).includes(inputKind)) {
    throw new ManifestError(file, 'lm.inputKind', `must be one of ${LM_INPUT_KINDS.join(', ')}`);
  }
  if (inputKind === 'embeddings' && runtime !== 'onnx') {
    throw new ManifestError(file, 'lm.inputKind', '"embeddings" needs "runtime": "onnx" (node-llama-cpp takes token ids only)');
  }
  let speech: SpeechSpec | undefined;
  if (inputKind === 'embeddings') {
    const sp = r.obj(raw, 'speech', 'speech');
    speech = {
      file: r.str(sp, 'file', 'speech.file'),
      frameMs: r.int(sp, 'frameMs', 'speech.frameMs', 1),
      hopSamples: r.int(sp, 'hopSamples', 'speech.hopSamples', 1),
      leftContextSamples: r.int(sp, 'leftContextSamples', 'speech.leftContextSamples', 0),
    };
    if (speech.hopSamples * 1000 !== speech.frameMs * sampleRateHz) {
      throw new ManifestError(file, 'speech.frameMs', 'must equal hopSamples / sampleRateHz in ms');
    }
  } else if (raw['speech'] !== undefined) {
    throw new ManifestError(file, 'speech', 'is read only with "lm.inputKind": "embeddings"');
  }
  const lm: LmSpec = {
    file: lmFile,
    runtime: runtime as LmRuntimeKind,
    inputKind: inputKind as LmInputKind,
    ...onnxFiles,
    contextTokens: r.int(l, 'contextTokens', 'lm.contextTokens', 16),
    ...(l['earlierTurns'] === undefined ? {} : { earlierTurns: r.int(l, 'earlierTurns', 'lm.earlierTurns', 0) }),
    unitToken,
    prompts,
    markers,
    maxTokens: {
      transcript: r.int(mt, 'transcript', 'lm.maxTokens.transcript', 1),
      answer: r.int(mt, 'answer', 'lm.maxTokens.answer', 1),
      answerUnits: r.int(mt, 'answerUnits', 'lm.maxTokens.answerUnits', 1),
    },
  };

  const v = r.obj(raw, 'vocoder', 'vocoder');
  const vocoder: VocoderSpec = {
    file: r.str(v, 'file', 'vocoder.file'),
    sampleRateHz: r.int(v, 'sampleRateHz', 'vocoder.sampleRateHz', 8000),
    hopSamples: r.int(v, 'hopSamples', 'vocoder.hopSamples', 1),
    durationPrediction: r.bool(v, 'durationPrediction', 'vocoder.durationPrediction'),
    firstChunkUnits: r.int(v, 'firstChunkUnits', 'vocoder.firstChunkUnits', 1),
    chunkUnits: r.int(v, 'chunkUnits', 'vocoder.chunkUnits', 1),
    leftContextUnits: r.int(v, 'leftContextUnits', 'vocoder.leftContextUnits', 0),
    lookaheadUnits: v['lookaheadUnits'] === undefined ? 0 : r.int(v, 'lookaheadUnits', 'vocoder.lookaheadUnits', 0),
    unitCount: v['unitCount'] === undefined ? units.count : r.int(v, 'unitCount', 'vocoder.unitCount', 2),
  };
  if (units.tokenOffset > 0 && units.tokenOffset < vocoder.unitCount) {
    throw new ManifestError(file, 'units.tokenOffset', `must be 0 or at least vocoder.unitCount (${vocoder.unitCount}): heard and spoken units would share tokens`);
  }
  if (l['spokenPieces'] !== undefined) lm.spokenPieces = readSpokenPieces(r, l, units, vocoder.unitCount);

  const description = typeof raw['description'] === 'string' ? raw['description'] : undefined;
  return { schemaVersion: 1, name, ...(description ? { description } : {}), sampleRateHz, units, ...(speech ? { speech } : {}), lm, vocoder };
}

const MAX_SPOKEN_PIECES = 65536;
const MAX_PIECE_UNITS = 1024;

function readSpokenPieces(r: Reader, l: Json, units: UnitsSpec, spokenUnitCount: number): SpokenPieces {
  const sp = r.obj(l, 'spokenPieces', 'lm.spokenPieces');
  // A piece's token must be no heard unit and no spoken one: it comes after both.
  const after = Math.max(spokenUnitCount, units.tokenOffset + units.count);
  const firstUnit = r.int(sp, 'firstUnit', 'lm.spokenPieces.firstUnit', after);
  const list = sp['units'];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SPOKEN_PIECES) {
    throw new ManifestError(r.file, 'lm.spokenPieces.units', `must be an array of 1 to ${MAX_SPOKEN_PIECES} pieces`);
  }
  const pieces = list.map((piece: unknown, k) => {
    const ok = Array.isArray(piece) && piece.length >= 2 && piece.length <= MAX_PIECE_UNITS &&
      piece.every((u) => Number.isInteger(u) && (u as number) >= 0 && (u as number) < spokenUnitCount);
    if (!ok) throw new ManifestError(r.file, `lm.spokenPieces.units[${k}]`, `must list 2 to ${MAX_PIECE_UNITS} spoken units, each an integer in [0, ${spokenUnitCount})`);
    return piece as number[];
  });
  return { firstUnit, units: pieces };
}

/** Reads `dir/manifest.json`, validates it and checks that each part file exists. */
export function loadManifest(dir: string): LoadedManifest {
  const abs = resolve(dir);
  const file = join(abs, 'manifest.json');
  if (!existsSync(file)) throw new ManifestError(file, '(file)', 'not found: a model folder needs a manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ManifestError(file, '(file)', `is not valid JSON (${(err as Error).message})`);
  }
  const m = validateManifest(raw, file);
  const paths: LoadedManifest['paths'] = { units: join(abs, m.units.file), lm: join(abs, m.lm.file), vocoder: join(abs, m.vocoder.file) };
  const fields: [string, string][] = [['units.file', paths.units], ['lm.file', paths.lm], ['vocoder.file', paths.vocoder]];
  if (m.lm.embeddings !== undefined) fields.push(['lm.embeddings', (paths.lmEmbeddings = join(abs, m.lm.embeddings))]);
  if (m.lm.tokens !== undefined) fields.push(['lm.tokens', (paths.lmTokens = join(abs, m.lm.tokens))]);
  if (m.speech !== undefined) fields.push(['speech.file', (paths.speech = join(abs, m.speech.file))]);
  for (const [field, path] of fields) {
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new ManifestError(file, field, `names ${path}, which does not exist`);
    }
  }
  return { ...m, dir: abs, paths };
}

/** The folder of the model that ships with voxgate. */
export const DEFAULT_MODEL_DIR = resolve(new URL('../../../models/voxgate-tiny-en', import.meta.url).pathname);
