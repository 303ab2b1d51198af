// Streaming rational resampler (polyphase FIR, Kaiser-windowed sinc). Pure and synchronous: push blocks of any
// length, get the resampled blocks; state carries across calls so block boundaries leave no clicks.
// Used for 16 kHz ↔ 48 kHz on the server and for WAV files of any rate in the SDK.

/** Filter length per unit of max(up, down): 32 gives a ~2 kHz transition band at 48 kHz, ample for speech. */
const TAPS_PER_RATIO = 32;
const KAISER_BETA = 8;
/** Cutoff as a fraction of the lower Nyquist frequency: leaves room for the transition band below it. */
const CUTOFF = 0.92;

export class Resampler {
  readonly fromHz: number;
  readonly toHz: number;
  private readonly up: number;
  private readonly down: number;
  /** Taps per polyphase branch. */
  private readonly taps: number;
  /** phases[p][j] = h[p + j * up], each branch normalised to unit DC gain. */
  private readonly phases: Float32Array[];
  /** The last taps - 1 input samples (zeros at the start). */
  private history: Float32Array;
  /** Position of the next output on the upsampled grid, counted from the start of history. */
  private position: number;

  constructor(fromHz: number, toHz: number) {
    if (!Number.isInteger(fromHz) || !Number.isInteger(toHz) || fromHz <= 0 || toHz <= 0) {
      throw new RangeError(`sample rates must be positive integers, got ${fromHz} → ${toHz}`);
    }
    const g = gcd(fromHz, toHz);
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.up = toHz / g;
    this.down = fromHz / g;
    this.taps = Math.ceil((TAPS_PER_RATIO * Math.max(this.up, this.down)) / this.up);
    this.phases = designPhases(this.up, this.down, this.taps);
    this.history = new Float32Array(this.taps - 1);
    this.position = (this.taps - 1) * this.up;
  }

  get isIdentity(): boolean {
    return this.up === this.down;
  }

  /** Delay the filter adds, in output samples. */
  get delaySamples(): number {
    return (this.taps * this.up - 1) / 2 / this.down;
  }

  push(input: Float32Array): Float32Array {
    if (this.isIdentity) return input;
    const keep = this.taps - 1;
    const buf = new Float32Array(keep + input.length);
    buf.set(this.history, 0);
    buf.set(input, keep);
    const end = buf.length * this.up;
    const count = this.position < end ? Math.ceil((end - this.position) / this.down) : 0;
    const out = new Float32Array(count);
    // Walk the upsampled grid incrementally (input index i, branch phase) instead of dividing per output.
    let i = Math.floor(this.position / this.up);
    let phase = this.position - i * this.up;
    const taps = this.taps;
    for (let n = 0; n < count; n++) {
      const branch = this.phases[phase] as Float32Array;
      let acc = 0;
      for (let j = 0; j < taps; j++) acc += (branch[j] as number) * (buf[i - j] as number);
      out[n] = acc;
      phase += this.down;
      while (phase >= this.up) {
        phase -= this.up;
        i++;
      }
    }
    const k = i * this.up + phase;
    const consumed = buf.length - keep;
    this.position = k - consumed * this.up;
    this.history = buf.slice(consumed);
    return out;
  }

  /** Pushes enough silence to bring out the samples still inside the filter, then resets. */
  flush(): Float32Array {
    if (this.isIdentity) return new Float32Array(0);
    const tail = this.push(new Float32Array(Math.ceil(this.taps / 2)));
    this.reset();
    return tail;
  }

  reset(): void {
    this.history = new Float32Array(this.taps - 1);
    this.position = (this.taps - 1) * this.up;
  }
}

function designPhases(up: number, down: number, taps: number): Float32Array[] {
  const length = taps * up;
  const centre = (length - 1) / 2;
  const cutoff = (0.5 * CUTOFF) / Math.max(up, down); // cycles per upsampled sample
  const i0Beta = besselI0(KAISER_BETA);
  const phases = Array.from({ length: up }, () => new Float32Array(taps));
  for (let p = 0; p < up; p++) {
    const branch = phases[p] as Float32Array;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const k = p + j * up;
      const t = k - centre;
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / centre;
      const window = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
      const h = sinc * window;
      branch[j] = h;
      sum += h;
    }
    for (let j = 0; j < taps; j++) branch[j] = (branch[j] as number) / sum;
  }
  return phases;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
