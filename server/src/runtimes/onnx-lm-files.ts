// The files an ONNX LM ships beside lm.onnx (docs/models.md, "lm" with runtime "onnx"): the token texts in id
// order (the tokenizer's vocabulary) and the token-embedding table (text and marker tokens are embedded here,
// so speech embeddings from an adaptor can go into the same graph input).
import { readFileSync } from 'node:fs';
import { GatewayError } from '../errors.ts';

/** lm-tokens.json: a JSON array of every token's text, id order (a space as " "). */
export function readTokenTexts(path: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GatewayError('MODEL_INVALID', `${path}: cannot read the LM's token list: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((t) => typeof t === 'string')) {
    throw new GatewayError('MODEL_INVALID', `${path}: must be a non-empty JSON array of token texts`);
  }
  return raw as string[];
}

/** lm-embeddings.bin: float32 little-endian [tokens, dim], row = token id. */
export function readEmbeddingTable(path: string, tokens: number, dim: number): Float32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new GatewayError('MODEL_INVALID', `${path}: cannot read the LM's embedding table: ${(err as Error).message}`, { cause: err });
  }
  const want = tokens * dim * Float32Array.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== want) {
    throw new GatewayError('MODEL_INVALID', `${path}: ${bytes.byteLength} bytes; ${tokens} tokens × ${dim} float32 need ${want}`);
  }
  const table = new Float32Array(tokens * dim);
  // Explicit little-endian reads: the file's byte order, whatever this machine's.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < table.length; i++) table[i] = view.getFloat32(i * 4, true);
  return table;
}
