// The one place the manifest's lm.runtime picks the LM runtime.
import type { LanguageModel } from './language-model.ts';
import { LmRuntime } from './lm.ts';
import type { LoadedManifest } from './manifest.ts';
import { OnnxLmRuntime } from './onnx-lm.ts';

export async function openLanguageModel(m: LoadedManifest, sequences: number): Promise<LanguageModel> {
  const common = { sequences, contextTokens: m.lm.contextTokens, unitToken: m.lm.unitToken, eosToken: m.lm.markers.endOfAnswer };
  if (m.lm.runtime === 'gguf') return LmRuntime.open(m.paths.lm, common);
  const { lmEmbeddings, lmTokens } = m.paths;
  // loadManifest resolves both for runtime "onnx"; a hand-built manifest without them is a programming error.
  if (lmEmbeddings === undefined || lmTokens === undefined) throw new Error('an ONNX LM manifest without lm.embeddings and lm.tokens');
  return OnnxLmRuntime.open(m.paths.lm, { ...common, embeddingsPath: lmEmbeddings, tokensPath: lmTokens });
}
