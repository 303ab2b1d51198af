// The chain-of-modality grammar at the token level: which tokens greedy decoding must not pick next, given where
// the parser stands. A model can derail into output the parser would refuse (a unit inside the answer text, a letter
// among the units); under load that also came from a race that handed one caller another's logits, closed in
// runtimes/lm-sample-gate.ts. Ruling those tokens out picks the best token the parser accepts, and leaves every
// step whose best token was already acceptable exactly as plain greedy decoding would take it.
import type { LmMarkers } from '../runtimes/manifest.ts';
import type { MarkerKind, OutputPart, ParserPosition } from './com-parser.ts';

export interface AnswerVocabulary {
  /** Token ids are 0 … size - 1. */
  size: number;
  textOf(id: number): string;
  /** The spoken unit a token stands for, when the vocoder can speak it; undefined otherwise. */
  spokenUnitOf(id: number): number | undefined;
  /** Any unit token, spoken or heard (`<i>`). */
  isUnit(id: number): boolean;
  /** Ids that never belong in an answer (prompt markers, BOS, heard units). */
  isForeign(id: number): boolean;
  eosId: number;
  markers: LmMarkers;
}

type TokenClass = 'spokenUnit' | 'otherUnit' | 'foreign' | 'endOfAnswer' | 'marker' | 'ignorable' | 'text';

export class AnswerGrammar {
  private readonly classes: TokenClass[] = [];
  /** Markers that are one token each: their ids, by kind (multi-token markers are left to the parser). */
  private readonly markerIds = new Map<number, MarkerKind>();
  private readonly singleTokenMarkers = new Set<MarkerKind>();
  private readonly cache = new Map<string, ReadonlySet<number>>();

  constructor(private readonly vocab: AnswerVocabulary) {
    const m = vocab.markers;
    for (const kind of ['transcript', 'answer', 'answerUnits', 'endOfAnswer'] as const) {
      for (let id = 0; id < vocab.size; id++) if (vocab.textOf(id) === m[kind]) this.markerIds.set(id, kind);
    }
    for (const kind of this.markerIds.values()) this.singleTokenMarkers.add(kind);
    for (let id = 0; id < vocab.size; id++) this.classes.push(this.classify(id));
  }

  /** Token ids that would make the output malformed at `position`; the same set object for the same position. */
  forbiddenAt(position: ParserPosition): ReadonlySet<number> {
    const key = `${position.part ?? '-'}>${position.next}`;
    let set = this.cache.get(key);
    if (!set) {
      set = this.build(position);
      this.cache.set(key, set);
    }
    return set;
  }

  private build({ part, next }: ParserPosition): ReadonlySet<number> {
    const out = new Set<number>();
    this.classes.forEach((cls, id) => {
      if (!this.allowed(cls, id, part, next)) out.add(id);
    });
    return out;
  }

  private allowed(cls: TokenClass, id: number, part: OutputPart | undefined, next: MarkerKind): boolean {
    switch (cls) {
      case 'foreign':
      case 'otherUnit':
        return false;
      case 'ignorable':
        return true;
      case 'endOfAnswer':
        return next === 'endOfAnswer';
      case 'marker':
        return this.markerIds.get(id) === next;
      case 'spokenUnit':
        return part === 'answerUnits';
      case 'text':
        // Text goes only in a text part: before the first marker and among the units it is malformed, unless
        // the marker due next is several tokens, which text tokens spell.
        return (part !== undefined && part !== 'answerUnits') || !this.singleTokenMarkers.has(next);
    }
  }

  private classify(id: number): TokenClass {
    const v = this.vocab;
    if (id === v.eosId) return 'endOfAnswer';
    if (v.isForeign(id)) return 'foreign';
    if (v.isUnit(id)) return v.spokenUnitOf(id) === undefined ? 'otherUnit' : 'spokenUnit';
    if (this.markerIds.has(id)) return 'marker';
    return isIgnorable(v.textOf(id), v.markers.separator) ? 'ignorable' : 'text';
  }
}

/** Whitespace and separators (what the parser skips where no text is expected). */
function isIgnorable(text: string, separator: string): boolean {
  const rest = separator === '' ? text : text.split(separator).join('');
  return /^\s*$/.test(rest);
}
