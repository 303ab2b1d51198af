// VoiceClient: one voice session over the voxgate protocol. Environment-neutral (no Node or DOM APIs): sockets
// and Opus come in through SocketFactory and ClientCodecs, so a browser build reuses this file as is.
//
// Reconnection: the client never reconnects by itself in the middle of a call. A session holds state a new
// connection would not have (the conversation so far, the turn being spoken, audio already played), so a silent
// reconnect would answer out of context or repeat audio. When a call ends, `closed` says why (errorCode,
// retryable, retryAfterMs) and the application decides whether to start a new session.
import { FrameChunker } from './audio/frames.ts';
import type { ClientCodecs, OpusDecoderLike, OpusEncoderLike } from './codecs.ts';
import { VoiceClientError } from './errors.ts';
import {
  FRAME_MS,
  NORMAL_CLOSE,
  PROTOCOL_VERSION,
  RETRYABLE_CODES,
  decodeBinaryFrame,
  decodeServerMessage,
  encodeAudioFrame,
  encodeClientMessage,
  errorCodeForClose,
  float32ToPcm16Bytes,
  int16ToFloat32,
  pcm16BytesToFloat32,
  type ClientMessage,
  type ErrorCode,
  type ErrorEvent,
  type InputFormat,
  type Mode,
  type OutputFormatRequest,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
  type SessionStarted,
} from './protocol/index.ts';
import type { SocketFactory, SocketLike } from './socket.ts';

export interface VoiceClientOptions {
  /** ws://host:port/v1/voice */
  url: string;
  openSocket: SocketFactory;
  token?: string;
  mode?: Mode;
  /** What sendAudio() is given and how it travels. Default: pcm16 at 16 kHz. */
  input?: InputFormat;
  /** How answer audio travels; 'audio' events always carry decoded float32 PCM. Default: pcm16. */
  output?: OutputFormatRequest;
  /** Server-side end-of-speech detection; false means the application calls commit(). Server default if absent. */
  vad?: boolean;
  /** Required when input or output uses Opus. */
  codecs?: ClientCodecs;
  /** Time allowed for the connection and the handshake. */
  connectTimeoutMs?: number;
}

/** Decoded answer audio, in order; belongs to the turn of the last audio.start. */
export interface AudioReceived {
  turnId: string;
  pcm: Float32Array;
  sampleRateHz: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** The error that ended the session, from the last fatal error event or the close code. */
  errorCode?: ErrorCode;
  /** A new session may succeed (after retryAfterMs when given). */
  retryable: boolean;
  retryAfterMs?: number;
}

export type VoiceClientEvents = { [T in ServerMessageType]: ServerMessageOf<T> } & {
  audio: AudioReceived;
  close: CloseInfo;
};

type Listener<K extends keyof VoiceClientEvents> = (ev: VoiceClientEvents[K]) => void;

export class VoiceClient {
  /** Resolves once the connection has closed, however it closed. */
  readonly closed: Promise<CloseInfo>;
  private socket!: SocketLike;
  private started: SessionStarted | undefined;
  private readonly listeners = new Map<keyof VoiceClientEvents, Set<Listener<never>>>();
  private readonly chunker: FrameChunker;
  private encoder: OpusEncoderLike | undefined;
  private decoder: OpusDecoderLike | undefined;
  private audioTurnId = '';
  private lastFatal: ErrorEvent | undefined;
  private isClosed = false;
  private resolveClosed!: (info: CloseInfo) => void;

  private constructor(private readonly opts: Required<Pick<VoiceClientOptions, 'input' | 'output' | 'mode'>> & VoiceClientOptions) {
    this.chunker = FrameChunker.forDuration(opts.input.sampleRateHz, FRAME_MS);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Opens the socket, performs the handshake and resolves once the session has started. */
  static async connect(options: VoiceClientOptions): Promise<VoiceClient> {
    const opts = {
      ...options,
      mode: options.mode ?? 'speech-to-speech',
      input: options.input ?? { codec: 'pcm16', sampleRateHz: 16000 },
      output: options.output ?? { codec: 'pcm16' },
    } as const;
    const client = new VoiceClient(opts);
    client.prepareEncoder();
    await client.open();
    try {
      await client.prepareDecoder();
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  get session(): SessionStarted {
    if (this.started === undefined) throw new Error('session not started');
    return this.started;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  on<K extends keyof VoiceClientEvents>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** PCM at input.sampleRateHz, any length: sent as 20 ms frames (a partial frame waits for more or commit()). */
  sendAudio(pcm: Float32Array | Int16Array): void {
    const samples = pcm instanceof Int16Array ? int16ToFloat32(pcm) : pcm;
    for (const frame of this.chunker.push(samples)) this.sendFrame(frame);
  }

  /** One Opus packet the application encoded itself (input.codec must be opus). */
  sendOpusPacket(packet: Uint8Array): void {
    if (this.opts.input.codec !== 'opus') throw new Error('input codec is not opus');
    this.sendRaw(encodeAudioFrame(packet));
  }

  /** Sends the partial frame sendAudio() holds, padded with silence. */
  flushAudio(): void {
    for (const frame of this.chunker.flush()) this.sendFrame(frame);
  }

  sendText(text: string, mode?: Mode): void {
    this.sendControl(mode === undefined ? { type: 'input.text', text } : { type: 'input.text', text, mode });
  }

  /** The caller stopped speaking (when vad is off): flushes audio and asks for the answer. */
  commit(): void {
    this.flushAudio();
    this.sendControl({ type: 'input.commit' });
  }

  /** Stops the answer in progress; the server answers `interrupted` and sends no more of its audio. */
  interrupt(): void {
    this.sendControl({ type: 'response.cancel' });
  }

  setMode(mode: Mode): void {
    this.sendControl({ type: 'session.update', mode });
  }

  /** Ends the session and waits for the connection to close. */
  async end(): Promise<CloseInfo> {
    if (!this.isClosed) this.sendControl({ type: 'session.end' });
    return this.closed;
  }

  /** Drops the connection without a handshake (what a crashed caller looks like to the server). */
  close(): void {
    this.socket.close(NORMAL_CLOSE, 'client closed');
  }

  // ---- internals ----

  private prepareEncoder(): void {
    const { input, output, codecs } = this.opts;
    if ((input.codec === 'opus' || output.codec === 'opus') && codecs === undefined) {
      throw new Error('Opus input or output needs `codecs` (client-sdk/src/node provides them for Node)');
    }
    if (input.codec === 'opus') this.encoder = codecs?.createOpusEncoder(input.sampleRateHz, FRAME_MS);
  }

  /** After session.started: decodes at the rate the server chose, which 'audio' events then report. */
  private async prepareDecoder(): Promise<void> {
    const { codec, sampleRateHz } = this.session.output;
    if (codec === 'opus') this.decoder = await this.opts.codecs?.createOpusDecoder(sampleRateHz);
  }

  private open(): Promise<void> {
    const { url, token, connectTimeoutMs = 10_000 } = this.opts;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new VoiceClientError('TRANSPORT_FAILED', `no session.started within ${connectTimeoutMs} ms`));
        this.socket.close(NORMAL_CLOSE, 'handshake timeout');
      }, connectTimeoutMs);
      const settle = (err?: Error) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      let opened = false;
      this.socket = this.opts.openSocket(
        { url, ...(token === undefined ? {} : { token }) },
        {
          onOpen: () => {
            opened = true;
            this.sendHandshake();
          },
          onText: (text) => {
            const msg = this.onText(text);
            if (msg?.type === 'session.started') settle();
            else if (msg?.type === 'error' && msg.fatal && this.started === undefined) {
              settle(new VoiceClientError(msg.code, msg.message, msg.retryAfterMs));
            }
          },
          onBinary: (bytes) => this.onBinary(bytes),
          onClose: (code, reason) => {
            const info = this.onClose(code, reason);
            if (this.started === undefined) {
              settle(new VoiceClientError(info.errorCode ?? 'TRANSPORT_FAILED', reason || `closed with ${code}`, info.retryAfterMs));
            }
          },
          onError: (err) => {
            if (opened) return; // a close follows and reports it
            const code: ErrorCode = err.code ?? 'TRANSPORT_FAILED';
            settle(new VoiceClientError(code, err.message, err.retryAfterMs));
            this.onClose(1006, err.message, code, err.retryAfterMs);
          },
        },
      );
    });
  }

  private sendHandshake(): void {
    const { mode, input, output, vad } = this.opts;
    this.sendControl({ type: 'session.start', version: PROTOCOL_VERSION, mode, input, output, ...(vad === undefined ? {} : { vad }) });
  }

  private onText(text: string): ServerMessage | undefined {
    const decoded = decodeServerMessage(text);
    if (!decoded.ok || decoded.value === undefined) return undefined; // unknown or malformed: ignore
    const msg = decoded.value;
    if (msg.type === 'session.started') this.started = msg;
    if (msg.type === 'audio.start') this.audioTurnId = msg.turnId;
    if (msg.type === 'error' && msg.fatal) this.lastFatal = msg;
    this.emit(msg.type, msg as never);
    return msg;
  }

  private onBinary(bytes: Uint8Array): void {
    const frame = decodeBinaryFrame(bytes);
    if (!frame.ok || frame.value.kind !== 'audio' || this.started === undefined) return;
    const { codec, sampleRateHz } = this.started.output;
    let pcm: Float32Array;
    try {
      if (codec === 'pcm16') pcm = pcm16BytesToFloat32(frame.value.payload);
      else if (this.decoder) pcm = this.decoder.decode(frame.value.payload);
      else return;
    } catch {
      return; // one bad packet is a click, not a reason to end the call
    }
    this.emit('audio', { turnId: this.audioTurnId, pcm, sampleRateHz });
  }

  private onClose(code: number, reason: string, forced?: ErrorCode, forcedRetryAfterMs?: number): CloseInfo {
    if (this.isClosed) return { code, reason, retryable: false };
    this.isClosed = true;
    this.decoder?.free?.();
    const errorCode = forced ?? this.lastFatal?.code ?? errorCodeForClose(code);
    const retryAfterMs = forced === undefined ? this.lastFatal?.retryAfterMs : forcedRetryAfterMs;
    const info: CloseInfo = {
      code,
      reason,
      ...(errorCode === undefined ? {} : { errorCode }),
      retryable: errorCode !== undefined && RETRYABLE_CODES.has(errorCode),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
    this.emit('close', info);
    this.resolveClosed(info);
    return info;
  }

  private sendFrame(frame: Float32Array): void {
    const payload = this.encoder ? this.encoder.encode(frame) : float32ToPcm16Bytes(frame);
    this.sendRaw(encodeAudioFrame(payload));
  }

  private sendControl(msg: ClientMessage): void {
    this.sendRaw(encodeClientMessage(msg));
  }

  private sendRaw(data: string | Uint8Array): void {
    if (this.isClosed) throw new VoiceClientError('TRANSPORT_FAILED', 'the session is closed');
    this.socket.send(data);
  }

  private emit<K extends keyof VoiceClientEvents>(type: K, ev: VoiceClientEvents[K]): void {
    for (const l of this.listeners.get(type) ?? []) (l as Listener<K>)(ev);
  }
}

