// What the gateway needs from a transport: a media port. It hands the gateway typed control messages and audio
// payloads in its declared format, and takes typed events and audio payloads back. Each transport speaks its own
// dialect on the wire (voxgate's protocol, RTP, a phone provider's JSON); none of that reaches the Call.
import type { AudioCodec, ClientMessage, ErrorCode, Mode, ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { Playout } from '../engine/types.ts';

/** Codecs a port may carry: the protocol's own, and G.711 for phone lines. */
export type MediaCodec = AudioCodec | 'pcmu' | 'pcma';

export interface MediaFormat {
  codec: MediaCodec;
  sampleRateHz: number;
}

/** session.start as the Call takes it: the protocol's, or a port's own start (a phone call's media formats). */
export interface PortSessionStart {
  type: 'session.start';
  mode: Mode;
  vad?: boolean;
  /** Silence that ends a turn, when the dialect lets the caller choose it (the Realtime API's silence_duration_ms). */
  endOfSpeechSilenceMs?: number;
  input: MediaFormat;
  output: { codec: MediaCodec; sampleRateHz?: number };
  /** What an in-band token names (a phone stream's start parameters), for the per-token session caps. */
  who?: { tokenKey?: string; tokenMaxSessions?: number };
}

/** Withdraws the caller's speech not yet ended as a turn (the Realtime API's input_audio_buffer.clear). */
export interface PortInputClear {
  type: 'input.clear';
}

export type PortControl = Exclude<ClientMessage, { type: 'session.start' }> | PortSessionStart | PortInputClear;

export type PortInput =
  | { kind: 'control'; msg: PortControl }
  /** One payload in the session's input format (an Opus packet, PCM16 bytes, G.711 bytes). */
  | { kind: 'audio'; payload: Uint8Array }
  /** Something the caller may send that carries nothing for the gateway (an unknown kind, a keep-alive). */
  | { kind: 'ignored'; what: string }
  /** A message the port could not read: the caller gets the error, the call goes on unless fatal. */
  | { kind: 'invalid'; code: ErrorCode; message: string; fatal?: boolean };

export interface MediaPort {
  readonly id: string;
  readonly remoteAddress: string;
  /** Names the dialect in logs and metrics: voxgate, webrtc, twilio, ... */
  readonly dialect: string;
  /** Bytes accepted by send*() but not yet handed to the kernel: the slow-consumer signal. */
  readonly bufferedBytes: number;
  readonly isOpen: boolean;
  /**
   * Where the caller's audio is really played out, when the far end says so (a phone provider's marks).
   * Absent: the gateway's pacer position is the truth (audio leaves at real time plus a small lead).
   */
  readonly playout?: Playout;
  /** Each input with its size on the wire (the Call applies the message limits). */
  onInput(listener: (input: PortInput, wireBytes: number) => void): void;
  /**
   * Called once, however the connection ends; `failure` when the transport itself failed under the caller (a peer
   * that never connected, ICE lost), rather than the caller hanging up.
   */
  onClose(listener: (code: number, failure?: 'TRANSPORT_FAILED') => void): void;
  /**
   * Present on ports whose caller cannot send control at once (WebRTC: not before its data channel opens): calls
   * the listener when it can. The handshake timeout runs from then; the port bounds the wait itself.
   */
  onConnected?(listener: () => void): void;
  send(msg: ServerMessage): void;
  /** One output frame in the session's output format, of frameMs, belonging to turnId's answer. */
  sendAudio(payload: Uint8Array, turnId: string, frameMs: number): void;
  /** Starts the closing handshake; a peer that does not answer within a short bound is dropped. */
  close(code: number, reason: string): void;
}
