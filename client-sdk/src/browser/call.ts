// VoxgateCall: one voice call from a browser, over WebRTC or WebSocket, with one API. It captures the microphone
// (or speaks sample files / text), plays the answer, and reports transcript, answer, interruptions and per-turn
// timings measured on both sides. The protocol itself is the SDK's VoiceClient, unchanged.
import { VoiceClient, type CloseInfo } from '../client.ts';
import type { ErrorCode, Mode, SessionStarted, TurnTimings } from '../protocol/index.ts';
import { FRAME_MS, VOICE_PATH } from '../protocol/index.ts';
import { WEBRTC_INPUT_FORMAT, WEBRTC_PATH } from '../transports/webrtc-wire.ts';
import { AudioGraph } from './audio-graph.ts';
import { Emitter } from './emitter.ts';
import { mediaTrackCodecs } from './media-codecs.ts';
import { PcmPlayer } from './pcm-player.ts';
import { openBrowserWebSocket } from './socket-ws.ts';
import { browserWebRtcSocketFactory } from './socket-webrtc.ts';
import { TurnClock, type ClientTimings } from './turn-clock.ts';

export type TransportKind = 'webrtc' | 'websocket';
export type CallState = 'connecting' | 'live' | 'ended';

export interface VoxgateCallOptions {
  /** The gateway, e.g. http://127.0.0.1:8080 (default: this page's origin). */
  baseUrl?: string;
  transport?: TransportKind;
  mode?: Mode;
  token?: string;
  /** Capture the microphone (default true). Without it the call speaks sample files and text only. */
  microphone?: boolean;
  /** The browser's echo cancellation, noise suppression and gain control on the microphone (default true). */
  voiceProcessing?: boolean;
  /** Server-side end of speech detection (default true); false: call commit() after speaking. */
  vad?: boolean;
  iceServers?: RTCIceServer[];
  connectTimeoutMs?: number;
}

export interface TurnReport {
  turnId: string;
  mode: Mode;
  transcript: string;
  answer: string;
  /** The gateway's figures (engine clock). */
  server: TurnTimings;
  /** This page's figures: from the end of input as seen here to each first arrival. */
  client: ClientTimings;
}

export interface VoxgateCallEvents extends Record<string, unknown> {
  state: CallState;
  'speech.started': { turnId: string };
  'speech.stopped': { turnId: string };
  /** text: the transcript so far (final: the whole of it). */
  transcript: { turnId: string; text: string; final: boolean };
  answer: { turnId: string; text: string; final: boolean };
  /** The first answer audio of a turn reached this page. */
  'audio.first': { turnId: string; ttfaMs: number | undefined };
  interrupted: { turnId: string };
  turn: TurnReport;
  error: { code: ErrorCode; message: string; fatal: boolean; turnId?: string };
  ended: CloseInfo;
}

export interface CallStats {
  transport: TransportKind;
  /** WebRTC: inbound RTP of the answer track. */
  audioPacketsReceived: number;
  audioBytesReceived: number;
  /** WebRTC: the receiver's audio energy so far (grows only when audible audio arrived); WebSocket: summed squares. */
  totalAudioEnergy: number;
  /** Seconds of answer audio received. */
  audioReceivedS: number;
}

/** How often the WebRTC receiver is checked for the first packet of an answer. */
const RTP_POLL_MS = 10;

export class VoxgateCall extends Emitter<VoxgateCallEvents> {
  state: CallState = 'connecting';
  private client: VoiceClient | undefined;
  private readonly graph: AudioGraph;
  private readonly player: PcmPlayer;
  private readonly clock = new TurnClock();
  private pc: RTCPeerConnection | undefined;
  private receiver: RTCRtpReceiver | undefined;
  private audioElement: HTMLAudioElement | undefined;
  private rtpPoll: ReturnType<typeof setInterval> | undefined;
  private lastRtpTimestamp = 0;
  private audioTurnId: string | undefined;
  private wsAudio = { frames: 0, bytes: 0, energy: 0, seconds: 0 };
  private sampleAbort: AbortController | undefined;
  /** A closing tab ends the call at once; otherwise the server would notice only when ICE consent expires (30 s). */
  private readonly onPageHide = () => {
    try {
      this.client?.end().catch(() => {});
    } finally {
      this.pc?.close();
      this.client?.close();
    }
  };

  private constructor(readonly options: Required<Pick<VoxgateCallOptions, 'transport' | 'mode' | 'microphone' | 'vad'>> & VoxgateCallOptions) {
    super();
    this.graph = new AudioGraph();
    this.player = new PcmPlayer(this.graph.ctx, this.graph.output);
  }

  /** Connects, starts the session and (by default) the microphone; rejects with the reason when refused. */
  static async start(options: VoxgateCallOptions = {}): Promise<VoxgateCall> {
    const call = new VoxgateCall({ transport: 'webrtc', mode: 'speech-to-speech', microphone: true, vad: true, ...options });
    try {
      await call.open();
    } catch (err) {
      await call.cleanup();
      throw err;
    }
    return call;
  }

  get transport(): TransportKind {
    return this.options.transport;
  }

  get session(): SessionStarted | undefined {
    return this.client?.session;
  }

  /** A text turn; the answer is spoken unless the mode says text. */
  sendText(text: string, mode?: Mode): void {
    this.clock.endOfInput(performance.now());
    this.requireClient().sendText(text, mode);
  }

  /** The caller finished speaking (sessions without VAD). */
  commit(): void {
    this.clock.endOfInput(performance.now());
    this.requireClient().commit();
  }

  /** Stops the answer in progress. */
  interrupt(): void {
    this.player.stop();
    this.requireClient().interrupt();
  }

  /**
   * Speaks a sound file (WAV, any rate) into the call as the caller's voice; the microphone is muted meanwhile.
   * Resolves when it has been sent; without VAD the turn is then committed.
   */
  async speakSample(source: string | ArrayBuffer | AudioBuffer): Promise<void> {
    const buffer = source instanceof AudioBuffer ? source : await this.decode(source);
    this.sampleAbort?.abort();
    const abort = (this.sampleAbort = new AbortController());
    await this.graph.playIntoCall(buffer, abort.signal);
    if (!abort.signal.aborted && this.state === 'live' && !this.options.vad) this.commit();
  }

  setMicrophoneMuted(muted: boolean): void {
    this.graph.setMicrophoneMuted(muted);
  }

  inputLevel(): number {
    return this.graph.inputLevel();
  }

  outputLevel(): number {
    return this.graph.outputLevel();
  }

  async stats(): Promise<CallStats> {
    if (this.options.transport === 'websocket') {
      return { transport: 'websocket', audioPacketsReceived: this.wsAudio.frames, audioBytesReceived: this.wsAudio.bytes, totalAudioEnergy: this.wsAudio.energy, audioReceivedS: this.wsAudio.seconds };
    }
    const out: CallStats = { transport: 'webrtc', audioPacketsReceived: 0, audioBytesReceived: 0, totalAudioEnergy: 0, audioReceivedS: 0 };
    const report = await this.receiver?.getStats();
    report?.forEach((s: Record<string, unknown>) => {
      if (s['type'] !== 'inbound-rtp' || s['kind'] !== 'audio') return;
      out.audioPacketsReceived = Number(s['packetsReceived'] ?? 0);
      out.audioBytesReceived = Number(s['bytesReceived'] ?? 0);
      out.totalAudioEnergy = Number(s['totalAudioEnergy'] ?? 0);
      // One RTP packet per FRAME_MS frame, as the gateway sends them. (The receiver's totalSamplesDuration counts
      // its playout, which runs on between answers: about 4× the answer audio in a one-turn call.)
      out.audioReceivedS = (out.audioPacketsReceived * FRAME_MS) / 1000;
    });
    return out;
  }

  /** Ends the session (the server closes the call) and releases the microphone and audio. */
  async hangUp(): Promise<CloseInfo | undefined> {
    const client = this.client;
    if (client === undefined || this.state === 'ended') return undefined;
    this.sampleAbort?.abort();
    const ended = await Promise.race([client.end().catch(() => undefined), new Promise<undefined>((r) => setTimeout(r, 1500))]);
    if (ended === undefined) client.close();
    return client.closed;
  }

  // ---- internals ----

  private async open(): Promise<void> {
    this.setState('connecting');
    await this.graph.resume();
    const base = new URL(this.options.baseUrl ?? globalThis.location.origin);
    const common = {
      mode: this.options.mode,
      vad: this.options.vad,
      ...(this.options.token === undefined ? {} : { token: this.options.token }),
      ...(this.options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.options.connectTimeoutMs }),
    };
    if (this.options.transport === 'websocket') {
      await this.graph.tapPcm(16000, (pcm) => {
        if (this.state === 'live') this.client?.sendAudio(pcm);
      });
      const url = new URL(VOICE_PATH, base);
      url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
      this.client = await VoiceClient.connect({
        ...common,
        url: url.href,
        openSocket: openBrowserWebSocket,
        input: { codec: 'pcm16', sampleRateHz: 16000 },
        output: { codec: 'pcm16', sampleRateHz: 16000 },
      });
    } else {
      this.client = await VoiceClient.connect({
        ...common,
        url: new URL(WEBRTC_PATH, base).href,
        openSocket: browserWebRtcSocketFactory({
          sendTrack: this.graph.sendTrack(),
          onRemoteTrack: (track, receiver) => this.playRemote(track, receiver),
          onPeerConnection: (pc) => (this.pc = pc),
          ...(this.options.iceServers === undefined ? {} : { iceServers: this.options.iceServers }),
        }),
        codecs: mediaTrackCodecs,
        input: WEBRTC_INPUT_FORMAT,
        output: { codec: 'opus', sampleRateHz: 16000 },
      });
      this.rtpPoll = setInterval(() => this.pollRtp(), RTP_POLL_MS);
    }
    this.listen(this.client);
    globalThis.addEventListener?.('pagehide', this.onPageHide);
    // After the session is live, so the caller's first words reach it.
    if (this.options.microphone) await this.graph.attachMicrophone({ voiceProcessing: this.options.voiceProcessing ?? true });
    this.setState('live');
  }

  private listen(client: VoiceClient): void {
    const now = () => performance.now();
    client.on('speech.started', (e) => this.emit('speech.started', { turnId: e.turnId }));
    client.on('speech.stopped', (e) => {
      this.clock.endOfInput(now(), e.turnId);
      this.emit('speech.stopped', { turnId: e.turnId });
    });
    client.on('transcript.delta', (e) => this.emit('transcript', { turnId: e.turnId, text: this.clock.transcript(e.turnId, e.text, false, now()), final: false }));
    client.on('transcript.final', (e) => this.emit('transcript', { turnId: e.turnId, text: this.clock.transcript(e.turnId, e.text, true, now()), final: true }));
    client.on('answer.delta', (e) => this.emit('answer', { turnId: e.turnId, text: this.clock.answer(e.turnId, e.text, false, now()), final: false }));
    client.on('answer.final', (e) => this.emit('answer', { turnId: e.turnId, text: this.clock.answer(e.turnId, e.text, true, now()), final: true }));
    client.on('audio.start', (e) => (this.audioTurnId = e.turnId));
    client.on('audio', (a) => {
      this.wsAudio.frames++;
      this.wsAudio.bytes += a.pcm.length * 2;
      this.wsAudio.seconds += a.pcm.length / a.sampleRateHz;
      for (const x of a.pcm) this.wsAudio.energy += x * x;
      const startS = this.player.push(a.pcm, a.sampleRateHz);
      // When it starts playing (after the player's jitter cushion), as WebRTC's first packet leaves its jitter buffer.
      this.firstAudio(a.turnId, performance.now() + Math.max(0, startS - this.graph.ctx.currentTime) * 1000);
    });
    client.on('interrupted', (e) => {
      this.player.stop();
      this.clock.forget(e.turnId);
      this.emit('interrupted', { turnId: e.turnId });
    });
    client.on('turn.done', (e) => {
      const t = this.clock.done(e.turnId, now());
      this.emit('turn', { turnId: e.turnId, mode: e.mode, transcript: t.transcript, answer: t.answer, server: e.timings, client: t.timings });
    });
    client.on('error', (e) => this.emit('error', { code: e.code, message: e.message, fatal: e.fatal, ...(e.turnId === undefined ? {} : { turnId: e.turnId }) }));
    client.on('close', (info) => {
      void this.cleanup().then(() => this.emit('ended', info));
    });
  }

  private firstAudio(turnId: string, playsAtMs = performance.now()): void {
    const ttfaMs = this.clock.firstAudio(turnId, playsAtMs);
    if (ttfaMs !== null) this.emit('audio.first', { turnId, ttfaMs });
  }

  private playRemote(track: MediaStreamTrack, receiver: RTCRtpReceiver): void {
    this.receiver = receiver;
    const stream = new MediaStream([track]);
    // Chrome delivers remote WebRTC audio to Web Audio only while a media element plays the stream.
    const el = new Audio();
    el.autoplay = true;
    el.srcObject = stream;
    el.play().catch(() => {});
    this.audioElement = el;
    this.graph.meterRemote(stream);
  }

  /**
   * Answer RTP flows only while an answer plays: the first packet delivered to the track (out of the jitter buffer)
   * after audio.start is the turn's first audio.
   */
  private pollRtp(): void {
    const sources = this.receiver?.getSynchronizationSources() ?? [];
    let newest = this.lastRtpTimestamp;
    for (const s of sources) newest = Math.max(newest, s.timestamp);
    if (newest <= this.lastRtpTimestamp) return;
    this.lastRtpTimestamp = newest;
    if (this.audioTurnId !== undefined) this.firstAudio(this.audioTurnId);
  }

  private async decode(source: string | ArrayBuffer): Promise<AudioBuffer> {
    const bytes = typeof source === 'string' ? await (await fetch(source)).arrayBuffer() : source;
    return this.graph.ctx.decodeAudioData(bytes.slice(0));
  }

  private requireClient(): VoiceClient {
    if (this.client === undefined || this.state === 'ended') throw new Error('voxgate: the call is not live');
    return this.client;
  }

  private setState(state: CallState): void {
    this.state = state;
    this.emit('state', state);
  }

  private async cleanup(): Promise<void> {
    if (this.state === 'ended') return;
    this.setState('ended');
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    clearInterval(this.rtpPoll);
    this.sampleAbort?.abort();
    this.player.stop();
    if (this.audioElement) {
      this.audioElement.pause();
      this.audioElement.srcObject = null;
    }
    this.pc?.close();
    this.client?.close(); // no-op once closed; frees the socket when start() failed after connecting
    await this.graph.close().catch(() => {});
  }
}
