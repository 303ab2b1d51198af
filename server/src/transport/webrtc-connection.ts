// One WebRTC caller as a media port: the data channel carries the protocol's JSON (and any non-audio binary
// frames); the caller's microphone arrives as Opus RTP and goes to the Call as Opus payloads, as they came; the
// Call's Opus payloads leave as RTP on our track, at the pace the Call sends them (real time plus the output
// lead). Every werift callback is guarded: a failing peer ends its call, never the process.
import { randomUUID } from 'node:crypto';
import { MediaStreamTrack, RtpHeader, RtpPacket, type RTCDataChannel, type RTCPeerConnection } from 'werift';
import { FRAME_MS, NORMAL_CLOSE, encodeServerMessage, type ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import { RtpOpusClock, RtpSequenceFilter } from '../../../client-sdk/src/transports/webrtc-rtp.ts';
import { DATA_CHANNEL_LABEL, encodeConnectionClose } from '../../../client-sdk/src/transports/webrtc-wire.ts';
import type { Logger } from '../gateway/log.ts';
import type { MediaPort, PortInput, PortSessionStart } from './media-port.ts';
import { readVoxgateMessage } from './voxgate-wire.ts';
import { HARD_LIMIT_FACTOR } from './ws.ts';
import { withWebRtcMedia } from './webrtc-session-start.ts';

/** Close code for a connection that dropped without a close (as a WebSocket reports it). */
export const ABNORMAL_CLOSE = 1006;
/** Messages the Call sends before the data channel opens (session.started when the POST carried the session). */
const MAX_PENDING_TEXT = 32;
/** How long a closing peer gets to read our last messages and close its side before we drop it. */
const CLOSE_GRACE_MS = 1_000;

export interface WebRtcConnectionStats {
  rtpPacketsIn: number;
  rtpPacketsOut: number;
  /** Duplicates, late packets and packets of another payload type. */
  rtpPacketsDropped: number;
  /** Caller audio that arrived before session.started (the Call could not take it yet). */
  rtpPacketsBeforeSession: number;
  dataChannelOpenMs: number | undefined;
}

export interface WebRtcConnectionOptions {
  pc: RTCPeerConnection;
  remoteAddress: string;
  maxMessageBytes: number;
  connectTimeoutMs: number;
  disconnectedGraceMs: number;
  log: Logger;
  now?: () => number;
}

export class WebRtcConnection implements MediaPort {
  readonly id = randomUUID();
  readonly dialect = 'webrtc';
  readonly remoteAddress: string;
  /** Our audio track: added to the peer connection after the offer is applied (werift answers recvonly otherwise). */
  readonly audioOut = new MediaStreamTrack({ kind: 'audio' });
  private readonly pc: RTCPeerConnection;
  private readonly opts: WebRtcConnectionOptions;
  private readonly now: () => number;
  private readonly createdAtMs: number;
  private channel: RTCDataChannel | undefined;
  private readonly pendingText: string[] = [];
  private readonly inputListeners: ((input: PortInput, wireBytes: number) => void)[] = [];
  private readonly closeListeners: ((code: number, failure?: 'TRANSPORT_FAILED') => void)[] = [];
  private readonly connectedListeners: (() => void)[] = [];
  private readonly clock = new RtpOpusClock({ frameMs: FRAME_MS });
  private readonly sequence = new RtpSequenceFilter();
  private sessionLive = false;
  private closing = false;
  private closed = false;
  private closeCode = ABNORMAL_CLOSE;
  private closeReason = '';
  private readonly timers = new Set<NodeJS.Timeout>();
  private disconnectedTimer: NodeJS.Timeout | undefined;
  private readonly counters: WebRtcConnectionStats = {
    rtpPacketsIn: 0,
    rtpPacketsOut: 0,
    rtpPacketsDropped: 0,
    rtpPacketsBeforeSession: 0,
    dataChannelOpenMs: undefined,
  };

  constructor(opts: WebRtcConnectionOptions) {
    this.opts = opts;
    this.pc = opts.pc;
    this.remoteAddress = opts.remoteAddress;
    this.now = opts.now ?? (() => performance.now());
    this.createdAtMs = this.now();
    this.pc.onDataChannel.subscribe((dc) => this.guard('data channel', () => this.adoptChannel(dc)));
    this.pc.onTrack.subscribe((track) => this.guard('track', () => this.adoptTrack(track)));
    this.pc.connectionStateChange.subscribe((state) => this.guard('connection state', () => this.onConnectionState(state)));
    this.after(opts.connectTimeoutMs, () => {
      if (this.channel?.readyState !== 'open') this.fail(`no data channel within ${opts.connectTimeoutMs} ms (ICE ${this.pc.iceConnectionState}, peer ${this.pc.connectionState})`);
    });
  }

  get bufferedBytes(): number {
    return this.channel?.bufferedAmount ?? this.pendingText.reduce((n, t) => n + t.length, 0);
  }

  get isOpen(): boolean {
    return !this.closing && !this.closed;
  }

  stats(): WebRtcConnectionStats {
    return { ...this.counters };
  }

  send(msg: ServerMessage): void {
    if (!this.isOpen) return;
    if (msg.type === 'session.started') this.sessionLive = true;
    const text = encodeServerMessage(msg);
    const dc = this.channel;
    if (dc?.readyState === 'open') return dc.send(text);
    // Bounded: only a handful of messages can precede the channel (session.started, or a refusal).
    if (this.pendingText.length < MAX_PENDING_TEXT) this.pendingText.push(text);
  }

  sendAudio(payload: Uint8Array): void {
    if (this.isOpen) this.sendRtp(payload);
  }

  /** Starts the session as if the caller had sent session.start on the data channel (options from the POST body). */
  inject(start: PortSessionStart): void {
    this.deliver({ kind: 'control', msg: start }, 0);
  }

  close(code: number, reason: string): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.closeCode = code;
    this.closeReason = reason;
    const dc = this.channel;
    if (dc?.readyState === 'open') this.sayClose(dc);
    else if (this.pc.connectionState === 'failed' || this.pc.connectionState === 'closed') return this.teardown(code);
    // The peer reads why, closes its side, and our channel's close ends the call; the grace bounds a silent peer,
    // and a peer still connecting hears why (the pending error, then the close) if its channel opens within it.
    this.after(CLOSE_GRACE_MS, () => this.teardown(code));
  }

  onInput(listener: (input: PortInput, wireBytes: number) => void): void {
    this.inputListeners.push(listener);
  }

  onClose(listener: (code: number, failure?: 'TRANSPORT_FAILED') => void): void {
    this.closeListeners.push(listener);
  }

  onConnected(listener: () => void): void {
    if (this.channel?.readyState === 'open' && !this.closing) return listener();
    this.connectedListeners.push(listener);
  }

  // ---- werift side ----

  private adoptChannel(dc: RTCDataChannel): void {
    if (this.channel !== undefined || dc.label !== DATA_CHANNEL_LABEL) {
      this.opts.log.debug('webrtc: extra data channel closed', { callId: this.id, label: dc.label });
      return dc.close();
    }
    this.channel = dc;
    const opened = () => {
      this.counters.dataChannelOpenMs ??= Math.round(this.now() - this.createdAtMs);
      for (const text of this.pendingText.splice(0)) dc.send(text);
      if (this.closing) return this.sayClose(dc);
      for (const l of this.connectedListeners.splice(0)) l();
    };
    if (dc.readyState === 'open') opened();
    dc.stateChanged.subscribe((state) =>
      this.guard('data channel state', () => {
        if (state === 'open') opened();
        // The caller closed its channel (hang-up) or answered our connection.close.
        if (state === 'closed') this.teardown(this.closing ? this.closeCode : NORMAL_CLOSE);
      }),
    );
    dc.onMessage.subscribe((data) => this.guard('data channel message', () => this.onChannelMessage(data)));
  }

  private onChannelMessage(data: string | Buffer): void {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    // The SDP advertises this bound as max-message-size; a peer that ignores it is cut, as ws does.
    if (size > this.opts.maxMessageBytes * HARD_LIMIT_FACTOR) {
      return this.close(1009, `message of ${size} bytes is far above the ${this.opts.maxMessageBytes}-byte limit`);
    }
    const input = readVoxgateMessage(typeof data !== 'string', typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (input.kind === 'control' && input.msg.type === 'session.start') return this.deliver({ kind: 'control', msg: withWebRtcMedia(input.msg) }, size);
    this.deliver(input, size);
  }

  private adoptTrack(track: MediaStreamTrack): void {
    if (track.kind !== 'audio') return;
    track.onReceiveRtp.subscribe((rtp) =>
      this.guard('rtp', () => {
        this.counters.rtpPacketsIn++;
        const opusType = track.codec?.payloadType;
        if ((opusType !== undefined && rtp.header.payloadType !== opusType) || rtp.payload.byteLength === 0 || !this.sequence.accept(rtp.header.sequenceNumber)) {
          this.counters.rtpPacketsDropped++;
          return;
        }
        // Microphone audio flows from the moment DTLS is up; the Call takes audio only once its session runs.
        if (!this.sessionLive) {
          this.counters.rtpPacketsBeforeSession++;
          return;
        }
        this.deliver({ kind: 'audio', payload: rtp.payload }, rtp.payload.byteLength);
      }),
    );
  }

  private onConnectionState(state: string): void {
    clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = undefined;
    if (state === 'failed') return this.fail('ICE or DTLS failed');
    if (state === 'closed') return this.teardown(this.closing ? this.closeCode : NORMAL_CLOSE);
    if (state === 'disconnected') {
      // ICE may recover (a network change); a caller gone for good is dropped after the grace.
      this.disconnectedTimer = this.after(this.opts.disconnectedGraceMs, () => this.fail(`ICE disconnected for ${this.opts.disconnectedGraceMs} ms`));
    }
  }

  private sayClose(dc: RTCDataChannel): void {
    this.guard('close', () => dc.send(encodeConnectionClose(this.closeCode, this.closeReason)));
  }

  private sendRtp(payload: Uint8Array): void {
    if (this.pc.connectionState !== 'connected') return;
    const stamp = this.clock.next(this.now());
    const header = new RtpHeader({ sequenceNumber: stamp.sequenceNumber, timestamp: stamp.timestamp, marker: stamp.marker });
    this.audioOut.writeRtp(new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
    this.counters.rtpPacketsOut++;
  }

  // ---- endings ----

  /** The transport failed under the caller: logged with the reason, reported as a dropped connection. */
  private fail(reason: string): void {
    if (this.closed) return;
    this.opts.log.warn('webrtc transport failed', { callId: this.id, code: 'TRANSPORT_FAILED', reason, remoteAddress: this.remoteAddress });
    this.teardown(this.closing ? this.closeCode : ABNORMAL_CLOSE, 'TRANSPORT_FAILED');
  }

  private teardown(code: number, failure?: 'TRANSPORT_FAILED'): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.disconnectedTimer);
    this.pendingText.length = 0;
    this.audioOut.stop();
    this.guard('channel close', () => this.channel?.close());
    this.pc.close().catch((err: unknown) => this.opts.log.debug('webrtc: close failed', { callId: this.id, err: String(err) }));
    this.connectedListeners.length = 0;
    for (const l of this.closeListeners.splice(0)) l(code, failure);
  }

  private deliver(input: PortInput, wireBytes: number): void {
    if (this.closing || this.closed) return;
    for (const l of this.inputListeners) l(input, wireBytes);
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.guard('timer', fn);
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  /** werift calls us from its own event loops: a throw there would escape to the process. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error('webrtc: handler failed', { callId: this.id, in: what, err: err instanceof Error ? err.stack : String(err) });
      if (!this.closed) this.teardown(ABNORMAL_CLOSE);
    }
  }
}
