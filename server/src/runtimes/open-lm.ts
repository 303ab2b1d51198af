// The one place the manifest's lm.runtime picks the LM runtime, and lm.inputKind what the LM hears speech as.
import { GatewayError } from '../errors.ts';
import type { EmbeddingSlots } from './embedding-slots.ts';
import type { LanguageModel } from './language-model.ts';
import { LmRuntime } from './lm.ts';
import type { LoadedManifest } from './manifest.ts';
import { OnnxLmRuntime } from './onnx-lm.ts';
import { SpeechEmbedder } from './speech-embedder.ts';

/** `lanes`: contexts decoding in parallel (node-llama-cpp LMs; the ONNX runtime steps its sequences itself). */
export async function openLanguageModel(m: LoadedManifest, sequences: number, lanes = 1): Promise<LanguageModel> {
  const common = { sequences, contextTokens: m.lm.contextTokens, unitToken: m.lm.unitToken, eosToken: m.lm.markers.endOfAnswer };
  if (m.lm.runtime === 'gguf') return LmRuntime.open(m.paths.lm, { ...common, lanes });
  const { lmEmbeddings, lmTokens } = m.paths;
  // loadManifest resolves both for runtime "onnx"; a hand-built manifest without them is a programming error.
  if (lmEmbeddings === undefined || lmTokens === undefined) throw new Error('an ONNX LM manifest without lm.embeddings and lm.tokens');
  return OnnxLmRuntime.open(m.paths.lm, { ...common, embeddingsPath: lmEmbeddings, tokensPath: lmTokens });
}

/** An embedding-input LM's speech part: speech.onnx, and where its rows wait for the LM. */
export interface EmbeddedSpeech {
  embedder: SpeechEmbedder;
  slots: EmbeddingSlots;
}

/** lm.inputKind "embeddings": speech.onnx, checked against the LM it feeds; undefined for a units model. */
export async function openEmbeddedSpeech(m: LoadedManifest, lm: LanguageModel): Promise<EmbeddedSpeech | undefined> {
  if (m.lm.inputKind !== 'embeddings') return undefined;
  const { speech: spec } = m;
  const { speech: path } = m.paths;
  // validateManifest requires both with this input kind, and runtime "onnx".
  if (!spec || !path || !(lm instanceof OnnxLmRuntime)) throw new Error('an embeddings-input manifest without speech or an ONNX LM');
  const embedder = await SpeechEmbedder.load(path, spec);
  if (embedder.dim !== lm.dim) {
    await embedder.close();
    throw new GatewayError('MODEL_INVALID', `${path}: gives embeddings of ${embedder.dim} floats; ${m.paths.lm} takes ${lm.dim}`);
  }
  return { embedder, slots: lm.slots };
}
