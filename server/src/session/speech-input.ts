// One spoken turn on its way into the LLM: audio → trim (as training audio was trimmed) → sliding-window
// unit encoder → merge repeats → unit tokens prefilled while the caller is still speaking. A pause encodes what
// was said at once, so at end of speech nothing is left to encode: the units of that pause's window (or of the last
// window) and the prompt's suffix are the generation's tail.
import type { Mode } from '../runtimes/manifest.ts';
import { SpeechTrimmer } from '../pipeline/speech-trim.ts';
import { UnitMerger } from '../pipeline/unit-merger.ts';
import type { Conversation } from './conversation.ts';
import type { SessionModel, UnitStream } from './session-model.ts';

export class SpeechInput {
  private readonly trimmer: SpeechTrimmer;
  private readonly merger: UnitMerger;
  private readonly units: UnitStream;
  /** Encoder results, chained so units reach the LLM in order. */
  private chain: Promise<void> = Promise.resolve();
  private promptSent = false;
  private unitCount = 0;
  /** Merged units of a pause's window, not yet sent: they go with the next window's or in the tail. */
  private waiting: number[] = [];
  private failure: unknown;

  constructor(
    private readonly model: SessionModel,
    private readonly conversation: Conversation,
    readonly turnId: string,
    readonly mode: Mode,
  ) {
    this.trimmer = new SpeechTrimmer({ hopSamples: model.hopSamples });
    this.merger = new UnitMerger(model.mergeRepeats);
    this.units = model.openUnitStream();
  }

  /** True once audio above the trim threshold has arrived. */
  get hasSpeech(): boolean {
    return this.trimmer.hasSpeech;
  }

  /** Merged units sent to the LLM so far. */
  get inputUnits(): number {
    return this.unitCount;
  }

  pushAudio(pcm: Float32Array): void {
    const speech = this.trimmer.pushAudio(pcm);
    if (speech.length === 0) return;
    this.feedWhenEncoded(this.units.push(speech), 'now');
    // A pause (a hop of quiet past the trim's pad): what was said so far is final, so it is encoded now, not when a
    // full run has gathered; an end of speech here then finds nothing left to encode. Its units wait for the next
    // window or the end: queued now they would be a prefill of their own, at the priority of a caller still speaking,
    // which under load an end of speech would have to wait for; in the generation's tail they go at its deadline.
    const kept = this.trimmer.keptSamples;
    if (this.trimmer.passedSamples >= kept + this.model.hopSamples && this.units.encodedSamples < kept) {
      this.feedWhenEncoded(this.units.runNow(), 'withNext');
    }
  }

  /**
   * End of speech: encodes what is left and returns the generation's tail (last units + prompt suffix, and
   * the prompt's start when nothing was sent yet), or undefined when the turn held no speech (nothing reached
   * the LLM). Throws what failed on the way.
   */
  async end(): Promise<{ tail: number[]; startsTurn: boolean } | undefined> {
    // Audio past the kept part is quiet whose units the trim drops: not encoded at all.
    const last = this.units.flush(this.trimmer.keptSamples);
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
    const fresh = this.merger.push([...this.trimmer.pushUnits(await last), ...this.trimmer.end()]);
    this.unitCount += fresh.length;
    const units = [...this.waiting, ...fresh];
    this.waiting = [];
    if (!this.promptSent && units.length === 0) return undefined;
    const prompt = this.model.prompt(this.mode);
    const startsTurn = !this.promptSent;
    this.promptSent = true;
    return { tail: [...(startsTurn ? prompt.before : []), ...this.model.unitTokens(units), ...prompt.after], startsTurn };
  }

  /** Units reach the LLM in the order their windows were cut. */
  private feedWhenEncoded(encoded: Promise<number[]>, when: 'now' | 'withNext'): void {
    this.chain = this.chain.then(async () => this.feed(this.trimmer.pushUnits(await encoded), when));
    this.chain = this.chain.catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  private feed(raw: number[], when: 'now' | 'withNext'): void {
    // After a failed prefill nothing more goes in: the turn will be dropped.
    if (this.failure !== undefined) return;
    const fresh = this.merger.push(raw);
    this.unitCount += fresh.length;
    if (when === 'withNext') {
      this.waiting.push(...fresh);
      return;
    }
    if (fresh.length === 0) return;
    const units = [...this.waiting, ...fresh];
    this.waiting = [];
    const tokens = this.model.unitTokens(units);
    const sent = this.conversation.append(this.promptSent ? tokens : [...this.model.prompt(this.mode).before, ...tokens], this.promptSent ? undefined : this.turnId);
    this.promptSent = true;
    sent.catch((err: unknown) => {
      this.failure ??= err;
    });
  }
}
