// Trims an utterance as the model's training audio was trimmed (recipe audio.trim_silence): from padSamples
// before the first sample above the threshold to padSamples after the last one. Streaming: the lead is cut
// from the audio before it reaches the encoder; the tail is decided on units, which are held back while the
// caller is silent and released if speech resumes, or dropped when the turn ends.

export interface SpeechTrimOptions {
  hopSamples: number;
  /** |sample| above this is speech (0.003 in the recipe: espeak's silence is digital zero). */
  threshold?: number;
  /** Samples kept either side of the speech (800 = 50 ms at 16 kHz in the recipe). */
  padSamples?: number;
}

export const TRIM_THRESHOLD = 0.003;
export const TRIM_PAD_SAMPLES = 800;

export class SpeechTrimmer {
  private readonly hop: number;
  private readonly threshold: number;
  private readonly pad: number;
  /** The last padSamples before any speech, kept until the first loud sample arrives. */
  private lead: Float32Array = new Float32Array(0);
  private started = false;
  /** Samples passed on to the encoder (the trimmed utterance so far). */
  private passed = 0;
  /** Index, in the trimmed utterance, one past the last loud sample. */
  private loudEnd = 0;
  /** Units received so far (raw, one per hop of the trimmed utterance). */
  private unitsSeen = 0;
  private held: number[] = [];

  constructor(opts: SpeechTrimOptions) {
    this.hop = opts.hopSamples;
    this.threshold = opts.threshold ?? TRIM_THRESHOLD;
    this.pad = opts.padSamples ?? TRIM_PAD_SAMPLES;
  }

  /** True once a sample above the threshold has arrived. */
  get hasSpeech(): boolean {
    return this.started;
  }

  /** Audio in; the part of it that belongs to the trimmed utterance out (for the encoder). */
  pushAudio(pcm: Float32Array): Float32Array {
    let out: Float32Array;
    if (!this.started) {
      const first = pcm.findIndex((x) => Math.abs(x) > this.threshold);
      if (first < 0) {
        this.lead = lastN(concat(this.lead, pcm), this.pad);
        return new Float32Array(0);
      }
      this.started = true;
      const before = lastN(concat(this.lead, pcm.subarray(0, first)), this.pad);
      this.lead = new Float32Array(0);
      out = concat(before, pcm.subarray(first));
    } else {
      out = pcm;
    }
    for (let i = out.length - 1; i >= 0; i--) {
      if (Math.abs(out[i] ?? 0) > this.threshold) {
        this.loudEnd = this.passed + i + 1;
        break;
      }
    }
    this.passed += out.length;
    return out;
  }

  /** Samples passed on to the encoder so far. */
  get passedSamples(): number {
    return this.passed;
  }

  /**
   * Samples of the trimmed utterance (whole hops) whose units the trim keeps, as far as the audio so far tells:
   * the speech and its pad. Past it only quiet audio has come; at the end of the turn its units are dropped.
   */
  get keptSamples(): number {
    return this.started ? this.keptUnits() * this.hop : 0;
  }

  /** Raw units of the trimmed utterance in order; returns those now known to lie within the speech + pad. */
  pushUnits(units: readonly number[]): number[] {
    this.held.push(...units);
    this.unitsSeen += units.length;
    return this.release();
  }

  /** The turn ended: the held units inside the trailing pad; the rest were silence. */
  end(): number[] {
    const out = this.release();
    this.held = [];
    return out;
  }

  private release(): number[] {
    const firstHeld = this.unitsSeen - this.held.length;
    const n = Math.max(0, Math.min(this.held.length, this.keptUnits() - firstHeld));
    return this.started ? this.held.splice(0, n) : [];
  }

  private keptUnits(): number {
    // Unit i covers [i*hop, (i+1)*hop); the recipe keeps it when it ends by loudEnd - 1 + pad.
    return Math.floor((this.loudEnd - 1 + this.pad) / this.hop);
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function lastN(a: Float32Array, n: number): Float32Array {
  return a.length <= n ? a : a.slice(a.length - n);
}
