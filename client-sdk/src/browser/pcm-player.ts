// Plays answer audio that arrives as PCM (WebSocket calls): each block is scheduled right after the previous one
// on the audio clock, with a small cushion when playback has run dry, so network jitter does not click.
/**
 * Start delay after an underrun. One frame: the gateway sends each answer's first outputLeadMs (150 ms by
 * default) at once and the rest that far ahead of time, so the real buffering is the server's lead.
 */
const CUSHION_S = 0.02;

export class PcmPlayer {
  private playheadS = 0;
  private readonly playing = new Set<AudioBufferSourceNode>();

  constructor(
    private readonly ctx: AudioContext,
    private readonly out: AudioNode,
  ) {}

  /** Schedules one block; returns the audio-clock time it starts playing, in seconds. */
  push(pcm: Float32Array, sampleRateHz: number): number {
    const buffer = this.ctx.createBuffer(1, pcm.length, sampleRateHz);
    buffer.getChannelData(0).set(pcm);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.out);
    const now = this.ctx.currentTime;
    const startS = this.playheadS < now ? now + CUSHION_S : this.playheadS;
    source.start(startS);
    this.playheadS = startS + buffer.duration;
    this.playing.add(source);
    source.onended = () => {
      this.playing.delete(source);
      source.disconnect();
    };
    return startS;
  }

  /** Drops everything scheduled (the answer was interrupted). */
  stop(): void {
    for (const s of this.playing) {
      s.onended = null;
      s.stop();
      s.disconnect();
    }
    this.playing.clear();
    this.playheadS = 0;
  }

  get bufferedS(): number {
    return Math.max(0, this.playheadS - this.ctx.currentTime);
  }
}
