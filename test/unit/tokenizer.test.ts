import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { readFileSync, rmSync } from 'node:fs';
import type { Token } from 'node-llama-cpp';
import { join } from 'node:path';
import { Tokenizer } from '../../server/src/runtimes/tokenizer.ts';
import { LmRuntime } from '../../server/src/runtimes/lm.ts';
import { makeRandomLm, pythonHasTorch, PYTHON } from '../helpers/random-lm.ts';

const MARKERS = ['[Human]:', '[Assistant]:', '<eoh>', '[tq]', '[ta]', '[ua]', '<eoa>', '<sosp>', '<eosp>', '<2s>', '<2t>'];

/** The default model's vocabulary as docs/models.md lists it. */
function docsVocab(unitCount: number): string[] {
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
  const units = Array.from({ length: unitCount }, (_, i) => `<${i}>`);
  return ['<unk>', '<s>', '</s>', ...MARKERS, '<pad>', ...chars, ...units];
}

const FIRST_CHAR = 15;
const FIRST_UNIT = FIRST_CHAR + 95;
const charId = (c: string) => FIRST_CHAR + c.charCodeAt(0) - 32;

describe('Tokenizer on the documented vocabulary', () => {
  const tok = new Tokenizer(docsVocab(128));

  it('finds EOS, units and their inverse', () => {
    expect(tok.eosId).toBe(9);
    expect(tok.unitCount).toBe(128);
    expect(tok.unitTokenId(0)).toBe(FIRST_UNIT);
    expect(tok.unitTokenId(127)).toBe(FIRST_UNIT + 127);
    expect(tok.unitOfToken(FIRST_UNIT + 12)).toBe(12);
    expect(tok.unitOfToken(charId('a'))).toBe(-1);
    expect(tok.unitOfToken(9)).toBe(-1);
    expect(() => tok.unitTokenId(128)).toThrow(RangeError);
  });

  it('tokenises templates by longest match on whole tokens', () => {
    expect(tok.tokenizeTemplate('[Human]:<sosp>')).toEqual([3, 10]);
    expect(tok.tokenizeTemplate('<eosp><2s><eoh>[Assistant]:')).toEqual([11, 12, 5, 4]);
    expect(tok.tokenizeTemplate(';')).toEqual([charId(';')]);
    expect(tok.tokenizeTemplate('[tq] x<12>')).toEqual([6, charId(' '), charId('x'), FIRST_UNIT + 12]);
    // "[Human]" without the colon is no marker: characters.
    expect(tok.tokenizeTemplate('[Hu')).toEqual([charId('['), charId('H'), charId('u')]);
    expect(() => tok.tokenizeTemplate('é')).toThrow(/no token/);
  });

  it('tokenises caller text one lower-case character at a time, so it cannot spell markers or units', () => {
    expect(tok.tokenizeText('Hi <12>[tq]')).toEqual([...'hi <12>[tq]'].map(charId));
    expect(tok.tokenizeText('café\nok')).toEqual([...'caf  ok'].map(charId));
    expect(tok.tokenizeText('a😀b')).toEqual([...'a b'].map(charId));
  });

  it('tokenises each whole word that is a word piece as one token, else one character, and never spells a marker', () => {
    // Pieces follow the units (the recipe's text_pieces.py): a word with its leading space. "th", "<1" and "[t" are
    // no pieces (no leading space), whatever their place.
    const vocab = [...docsVocab(128), ' what', ' is', ' the', " that's", ' a', 'th', '<1', '[t'];
    const pieces = new Tokenizer(vocab);
    const id = (t: string) => vocab.indexOf(t);
    expect(pieces.tokenizeText(' What is the<12>')).toEqual(
      [id(' what'), id(' is'), id(' the'), charId('<'), charId('1'), charId('2'), charId('>')]);
    expect(pieces.tokenizeText(" that's [tq]")).toEqual([id(" that's"), ...[...' [tq]'].map(charId)]);
    // A word only where it is whole: " then" and " thing" are not " the" and more; a text's first word has no space.
    expect(pieces.tokenizeText('that then a thing')).toEqual(
      [...[...'that then'].map(charId), id(' a'), ...[...' thing'].map(charId)]);
    expect(pieces.tokenizeText('a😀the')).toEqual([charId('a'), id(' the')]); // "a the"
  });

  it('gives each token its text', () => {
    expect(tok.tokenText(3)).toBe('[Human]:');
    expect(tok.tokenText(charId(' '))).toBe(' ');
    expect(tok.tokenText(FIRST_UNIT + 5)).toBe('<5>');
    expect(tok.tokenText(10_000)).toBe('');
  });

  it('follows the manifest unit pattern and refuses a vocabulary without EOS', () => {
    const custom = new Tokenizer(['<unk>', '<eoa>', ' ', 'a', '<u_0>', '<u_1>'], { unitToken: '<u_{i}>' });
    expect(custom.unitCount).toBe(2);
    expect(custom.unitTokenId(1)).toBe(5);
    expect(() => new Tokenizer(['<unk>', ' ', 'a'])).toThrow(/<eoa>/);
  });
});

describeIf(pythonHasTorch(), `torch in ${PYTHON}`)(`Tokenizer from a GGUF's own token list (needs torch in ${PYTHON})`, () => {
  let dir = '';
  let lm: LmRuntime | undefined;
  beforeAll(async () => {
    dir = makeRandomLm(['--units', '40', '--max-new', '4']);
    lm = await LmRuntime.open(join(dir, 'lm.gguf'), { sequences: 1, contextTokens: 64 });
  });
  afterAll(async () => {
    await lm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads back exactly the documented vocabulary, a space as " "', () => {
    const vocab = docsVocab(40);
    expect(lm!.tokenizer.size).toBe(vocab.length);
    expect(vocab.map((_, id) => lm!.tokenText(id))).toEqual(vocab);
    expect(lm!.eosId).toBe(9);
    expect(lm!.unitTokenId(39)).toBe(FIRST_UNIT + 39);
  });

  it('node-llama-cpp detokenises text and units as written, markers only with special tokens', () => {
    const ids = [...lm!.tokenizeText('hi there'), lm!.unitTokenId(7)];
    expect(lm!.model.detokenize(ids as Token[], false)).toBe('hi there<7>');
    expect(lm!.model.detokenize(lm!.tokenizeTemplate('[ta]') as Token[], false)).toBe('');
  });
});

describeIf(pythonHasTorch(), `torch in ${PYTHON}`)(`Word pieces in a GGUF's token list (needs torch in ${PYTHON})`, () => {
  const PIECES = [' what', ' is', ' the', " that's", ' two', ' end', ' a'];
  let dir = '';
  let lm: LmRuntime | undefined;
  beforeAll(async () => {
    dir = makeRandomLm(['--units', '40', '--max-new', '4', '--pieces', PIECES.join(',')]);
    lm = await LmRuntime.open(join(dir, 'lm.gguf'), { sequences: 1, contextTokens: 64 });
  });
  afterAll(async () => {
    await lm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the pieces back after the units, a leading space kept', () => {
    const vocab = [...docsVocab(40), ...PIECES];
    expect(vocab.map((_, id) => lm!.tokenText(id))).toEqual(vocab);
    expect(lm!.unitOfToken(vocab.indexOf(' what'))).toBe(-1);
  });

  it('tokenises text exactly as the recipe trains on it, and node-llama-cpp detokenises it back', () => {
    const samples = JSON.parse(readFileSync(join(dir, 'text-samples.json'), 'utf8')) as { text: string; ids: number[] }[];
    expect(samples.length).toBe(3);
    for (const { text, ids } of samples) {
      expect(lm!.tokenizeText(text)).toEqual(ids);
      expect(ids.length).toBeLessThan([...text].length); // the pieces were used
    }
    const ids = lm!.tokenizeText(" what's that");
    expect(lm!.model.detokenize(ids as Token[], false)).toBe(" what's that");
  });
});
