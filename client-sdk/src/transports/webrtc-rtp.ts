// RTP numbering for one outgoing Opus stream, and the receiver's duplicate/late filter. Pure: the caller passes
// the clock, so pacing and gaps are testable without sockets.
import { OPUS_RTP_CLOCK_HZ } from './webrtc-wire.ts';

export interface RtpStamp {
  sequenceNumber: number;
  timestamp: number;
  /** First packet of a talkspurt (RFC 3551 §4.1): the receiver may re-anchor its jitter buffer here. */
  marker: boolean;
}

export interface RtpOpusClockOptions {
  frameMs: number;
  /**
   * Lateness beyond which the stream counts as restarted after silence: the timestamp then jumps by the wall
   * time that passed, so the receiver plays the gap as silence instead of squeezing the next answer against
   * the last one. Packets sent ahead of time (the output lead) never trigger it.
   */
  gapMs?: number;
  /** Initial sequence number and timestamp; random by default (RFC 3550 §5.1). */
  initialSequenceNumber?: number;
  initialTimestamp?: number;
}

const DEFAULT_GAP_MS = 60;

export class RtpOpusClock {
  readonly samplesPerFrame: number;
  private readonly frameMs: number;
  private readonly gapMs: number;
  private sequenceNumber: number;
  /** Timestamp and wall time of the talkspurt's first packet, and packets sent since. */
  private anchorTimestamp: number;
  private anchorWallMs: number | undefined;
  private framesSinceAnchor = 0;

  constructor(opts: RtpOpusClockOptions) {
    this.frameMs = opts.frameMs;
    this.samplesPerFrame = (OPUS_RTP_CLOCK_HZ * opts.frameMs) / 1000;
    this.gapMs = opts.gapMs ?? DEFAULT_GAP_MS;
    this.sequenceNumber = (opts.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.anchorTimestamp = (opts.initialTimestamp ?? Math.floor(Math.random() * 0x1_0000_0000)) >>> 0;
  }

  /** Numbers for the next packet, sent at nowMs. */
  next(nowMs: number): RtpStamp {
    let marker = false;
    if (this.anchorWallMs === undefined) {
      this.anchorWallMs = nowMs;
      marker = true;
    } else {
      const dueMs = this.anchorWallMs + this.framesSinceAnchor * this.frameMs;
      if (nowMs > dueMs + this.gapMs) {
        // Silence since the last packet: advance by the time that passed, whole frames, never backwards.
        const elapsedFrames = Math.max(this.framesSinceAnchor, Math.round((nowMs - this.anchorWallMs) / this.frameMs));
        this.anchorTimestamp = (this.anchorTimestamp + elapsedFrames * this.samplesPerFrame) >>> 0;
        this.anchorWallMs = nowMs;
        this.framesSinceAnchor = 0;
        marker = true;
      }
    }
    const stamp: RtpStamp = {
      sequenceNumber: this.sequenceNumber,
      timestamp: (this.anchorTimestamp + this.framesSinceAnchor * this.samplesPerFrame) >>> 0,
      marker,
    };
    this.framesSinceAnchor++;
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    return stamp;
  }
}

/**
 * Drops duplicates and packets older than the newest seen (RFC 1982 serial arithmetic on 16 bits). Speech in is
 * fed to a decoder in order; a late packet is worth less than the concealment already played for it.
 */
export class RtpSequenceFilter {
  private newest: number | undefined;

  accept(sequenceNumber: number): boolean {
    if (this.newest === undefined) {
      this.newest = sequenceNumber;
      return true;
    }
    const ahead = (sequenceNumber - this.newest) & 0xffff;
    if (ahead === 0 || ahead >= 0x8000) return false;
    this.newest = sequenceNumber;
    return true;
  }
}
