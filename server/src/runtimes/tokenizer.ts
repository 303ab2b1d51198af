// The LM's tokenizer, built from the model's own token list (docs/models.md, "lm"):
// templates match whole tokens by longest match; in caller text each whole word that is a word piece
// (the word with its leading space) is one token and everything else one character, left to right (the
// recipe's vocab.encode_text tokenises its training text the same way). A word piece is only ever a space
// and then letters, digits and apostrophes, so text can never spell a marker or a unit.

export interface TokenizerOptions {
  /** Unit i is the token whose text is this pattern with {i} replaced (manifest lm.unitToken). */
  unitToken?: string;
  /** Text of the end-of-answer token. */
  eosToken?: string;
  /** Lower-case caller text first (the default model's text is lower case). */
  lowerCase?: boolean;
}

export class Tokenizer {
  readonly eosId: number;
  readonly unitCount: number;
  private readonly idByText = new Map<string, number>();
  /** Longest multi-character token, bounding the template search. */
  private readonly maxTokenChars: number;
  private readonly unitIds: number[] = [];
  private readonly unitByToken: Int32Array;
  private readonly spaceId: number;
  private readonly lowerCase: boolean;
  /** Word-piece tokens by text. */
  private readonly pieceIds = new Map<string, number>();

  /** `texts[id]` is token id's text as it reads when detokenised (a space as " "). */
  constructor(
    private readonly texts: readonly string[],
    opts: TokenizerOptions = {},
  ) {
    const unitPattern = opts.unitToken ?? '<{i}>';
    const eosText = opts.eosToken ?? '<eoa>';
    this.lowerCase = opts.lowerCase ?? true;
    texts.forEach((text, id) => {
      if (!this.idByText.has(text)) this.idByText.set(text, id);
    });
    this.maxTokenChars = Math.max(1, ...texts.map((t) => t.length));

    const unitRe = unitRegex(unitPattern);
    this.unitByToken = new Int32Array(texts.length).fill(-1);
    texts.forEach((text, id) => {
      const m = unitRe.exec(text);
      if (!m?.[1]) return;
      const unit = Number(m[1]);
      this.unitIds[unit] = id;
      this.unitByToken[id] = unit;
    });
    this.unitCount = this.unitIds.length;
    for (let i = 0; i < this.unitCount; i++) {
      if (this.unitIds[i] === undefined) throw new Error(`LM vocabulary lacks unit token ${unitPattern.replace('{i}', String(i))}`);
    }

    this.eosId = this.requireId(eosText);
    this.spaceId = this.requireId(' ');
    texts.forEach((text, id) => {
      if (isTextPiece(text) && this.unitByToken[id] === -1 && !this.pieceIds.has(text)) this.pieceIds.set(text, id);
    });
  }

  get size(): number {
    return this.texts.length;
  }

  /** Id of the token with exactly this text, if any. */
  idOf(text: string): number | undefined {
    return this.idByText.get(text);
  }

  /** Template text (prompts, markers): longest match on whole tokens; a character with no token is an error. */
  tokenizeTemplate(s: string): number[] {
    const ids: number[] = [];
    let i = 0;
    while (i < s.length) {
      let matched = false;
      for (let len = Math.min(this.maxTokenChars, s.length - i); len >= 1; len--) {
        const id = this.idByText.get(s.slice(i, i + len));
        if (id === undefined) continue;
        ids.push(id);
        i += len;
        matched = true;
        break;
      }
      if (!matched) throw new Error(`template text ${JSON.stringify(s)} has no token for ${JSON.stringify(s[i])}`);
    }
    return ids;
  }

  /** Caller text: each whole word that is a word piece one token, else one character at each position; characters
   * the vocabulary lacks become spaces. */
  tokenizeText(s: string): number[] {
    // Characters first (a space for any the vocabulary lacks), then pieces over them: "\nthe" reads as " the".
    const chars: number[] = [];
    for (const ch of this.lowerCase ? s.toLowerCase() : s) {
      const id = ch.length === 1 ? this.idByText.get(ch) : undefined;
      chars.push(id !== undefined && this.unitByToken[id] === -1 ? id : this.spaceId);
    }
    if (this.pieceIds.size === 0) return chars;
    const text = chars.map((id) => this.texts[id]).join('');
    const ids: number[] = [];
    let i = 0;
    while (i < chars.length) {
      const piece = this.pieceAt(text, i);
      ids.push(piece?.id ?? chars[i]!);
      i += piece?.chars ?? 1;
    }
    return ids;
  }

  /** The word piece of the whole word starting at `start` (its leading space there), if the vocabulary has it. */
  private pieceAt(text: string, start: number): { id: number; chars: number } | undefined {
    if (text[start] !== ' ') return undefined;
    let end = start + 1;
    while (end < text.length && WORD_CHAR.test(text[end]!)) end++;
    const id = end > start + 1 ? this.pieceIds.get(text.slice(start, end)) : undefined;
    return id === undefined ? undefined : { id, chars: end - start };
  }

  /** Token id of unit i. */
  unitTokenId(unit: number): number {
    const id = this.unitIds[unit];
    if (id === undefined) throw new RangeError(`unit ${unit} is outside 0..${this.unitCount - 1}`);
    return id;
  }

  /** Unit index of a token id, or -1 when the token is not a unit. */
  unitOfToken(id: number): number {
    return this.unitByToken[id] ?? -1;
  }

  /** The token's text ("" for an id outside the vocabulary). */
  tokenText(id: number): string {
    return this.texts[id] ?? '';
  }

  private requireId(text: string): number {
    const id = this.idByText.get(text);
    if (id === undefined) throw new Error(`LM vocabulary lacks the token ${JSON.stringify(text)}`);
    return id;
  }
}

/** A word piece: a whole word with its leading space, letters, digits and apostrophes (recipe: is_text_piece). */
export function isTextPiece(text: string): boolean {
  return /^ [a-z0-9']+$/.test(text);
}

const WORD_CHAR = /^[a-z0-9']$/;

function unitRegex(pattern: string): RegExp {
  const [before = '', after = ''] = pattern.split('{i}');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc(before)}(0|[1-9][0-9]*)${esc(after)}$`);
}
