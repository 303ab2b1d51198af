// One caller on one media port: handshake, inbound control and audio, limits and timeouts, and the engine
// session's life. Every failure here is answered on this port only; nothing a caller sends can throw past onInput.
import {
  NORMAL_CLOSE,
  PROTOCOL_VERSION,
  closeCodeFor,
  type ErrorCode,
  type InputFormat,
  type OutputFormat,
  type ServerMessage,
} from '../../../client-sdk/src/protocol/index.ts';
import type { Config } from '../config.ts';
import type { Engine, EngineEvent, EngineSession } from '../engine/types.ts';
import { GatewayError } from '../errors.ts';
import type { MediaPort, PortControl, PortInput, PortSessionStart } from '../transport/media-port.ts';
import { createInputAudio, ENGINE_INPUT_RATE_HZ, isNarrowband, type InputAudio } from './audio-in.ts';
import { defaultOutputRateHz } from './audio-out.ts';
import { SendBufferGuard } from './backpressure.ts';
import { CallOutput } from './call-output.ts';
import type { Logger } from './log.ts';
import type { CallObserver } from './observer.ts';
import { AudioRateBudget, FrameRateLimiter } from './rate-limit.ts';

/**
 * Audio and controls kept while the session opens (a phone stream sends media right after start; a Realtime
 * client's first event may be the turn itself): 2 s of 20 ms frames.
 */
const OPENING_INPUTS = 100;
/** Non-fatal error events per second per call: a caller sending garbage gets told, not flooded. */
const ERROR_EVENTS_PER_SECOND = 10;

export interface CallClosedInfo {
  callId: string;
  /** The port's dialect: voxgate, webrtc, twilio, realtime, ... */
  transport: string;
  sessionId: string | undefined;
  /** The error that ended the call; undefined for session.end or a caller hang-up. */
  errorCode: ErrorCode | undefined;
  /** The WebSocket close code (sent by us, or received when the caller hung up). */
  closeCode: number;
  hungUp: boolean;
  durationMs: number;
  droppedAudioFrames: number;
  peakBufferedBytes: number;
}

export interface CallDeps {
  port: MediaPort;
  config: Config;
  engine: Engine;
  log: Logger;
  now: () => number;
  onClosed: (call: Call, info: CallClosedInfo) => void;
  observer?: CallObserver;
  /** Log what callers said and heard (transcripts and answers); off unless the operator opts in. */
  logTranscripts?: boolean;
  /** Asked at session.start: a session slot for this caller, or the refusal that ends the call. */
  admitSession?: (who: PortSessionStart['who']) => SessionAdmission | Promise<SessionAdmission>;
}

type SessionAdmission = { ok: true } | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

type State = 'handshake' | 'opening' | 'active' | 'closed';

export class Call {
  readonly id: string;
  private state: State = 'handshake';
  private draining = false;
  private sessionId: string | undefined;
  private session: EngineSession | undefined;
  private unsubscribe: (() => void) | undefined;
  private input: InputAudio | undefined;
  private output: CallOutput | undefined;
  private readonly createdAtMs: number;
  /** When the caller could first send session.start: undefined while its port is still connecting. */
  private connectedAtMs: number | undefined;
  private startedAtMs = 0;
  private lastActivityMs: number;
  private readonly limiter: FrameRateLimiter;
  private readonly errorBudget = new FrameRateLimiter(ERROR_EVENTS_PER_SECOND);
  private readonly audioBudget = new AudioRateBudget();
  private readonly guard: SendBufferGuard;
  private drainWaiters: (() => void)[] = [];
  /** Audio and controls that arrived while the session was opening, fed to it once open. */
  private openingInputs: PortInput[] = [];
  private readonly log: Logger;
  /** This turn's transcript and answer, kept only for the turn's log line when transcripts are logged. */
  private said: { transcript?: string; answer?: string } = {};
  /** Resolves when the engine session (if any) has been closed. */
  closed: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CallDeps) {
    this.id = deps.port.id;
    this.log = deps.log.child({ callId: this.id, transport: deps.port.dialect });
    this.createdAtMs = this.lastActivityMs = deps.now();
    // A port that connects later (WebRTC's ICE, DTLS and data channel) bounds that itself; the handshake waits for it.
    if (deps.port.onConnected === undefined) this.connectedAtMs = this.createdAtMs;
    else deps.port.onConnected(() => (this.connectedAtMs = this.lastActivityMs = deps.now()));
    this.limiter = new FrameRateLimiter(deps.config.maxFramesPerSecond);
    this.guard = new SendBufferGuard(deps.config.maxBufferedBytes, deps.config.slowConsumerGraceMs);
    deps.port.onInput((input, wireBytes) => this.guarded(() => this.onInput(input, wireBytes)));
    deps.port.onClose((code, failure) => this.onHangUp(code, failure));
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  get hasSession(): boolean {
    return this.session !== undefined;
  }

  /** Periodic checks from the gateway's sweep: timeouts and a send buffer that stopped draining. */
  tick(nowMs: number): void {
    const { handshakeTimeoutMs, sessionTimeoutMs, idleTimeoutMs } = this.deps.config;
    if (this.state === 'handshake' && this.connectedAtMs !== undefined && nowMs - this.connectedAtMs > handshakeTimeoutMs) {
      return this.fail('HANDSHAKE_REQUIRED', `no session.start within ${handshakeTimeoutMs} ms`);
    }
    if (this.state === 'active' && nowMs - this.startedAtMs > sessionTimeoutMs) {
      return this.fail('SESSION_TIMEOUT', `session longer than ${sessionTimeoutMs} ms`);
    }
    if (this.state !== 'closed' && nowMs - this.lastActivityMs > idleTimeoutMs) {
      return this.fail('IDLE_TIMEOUT', `no traffic for ${idleTimeoutMs} ms`);
    }
    if (this.state === 'active' && this.guard.check(this.deps.port.bufferedBytes, nowMs) === 'disconnect') {
      return this.slowConsumer();
    }
  }

  /** Stops taking new turns; resolves once the answer in progress (if any) has been delivered. */
  drain(): Promise<void> {
    this.draining = true;
    if (!this.isBusy()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends the call with an error event and the code's close code. */
  fail(code: ErrorCode, message: string, extra: { retryAfterMs?: number } = {}): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.write({ type: 'error', code, message, fatal: true, ...extra });
    const closeCode = closeCodeFor(code);
    this.deps.port.close(closeCode, message);
    this.dispose({ errorCode: code, closeCode, hungUp: false });
    this.log.info('call closed', { sessionId: this.sessionId, code, message });
  }

  // ---- inbound ----

  private onInput(input: PortInput, wireBytes: number): void {
    if (this.state === 'closed') return;
    const now = this.deps.now();
    this.lastActivityMs = now;
    const rate = this.limiter.hit(now);
    if (rate === 'abusive') return this.fail('RATE_LIMITED', `more than twice ${this.limiter.maxPerSecond} messages per second`);
    if (rate === 'limited-first') {
      return this.sendError('RATE_LIMITED', `more than ${this.limiter.maxPerSecond} messages per second: extra messages are dropped`);
    }
    if (rate === 'limited') return;
    const { maxMessageBytes } = this.deps.config;
    if (wireBytes > maxMessageBytes) {
      return this.sendError('MESSAGE_TOO_LARGE', `message of ${wireBytes} bytes exceeds ${maxMessageBytes}`);
    }
    if (this.state === 'opening' && (input.kind === 'audio' || input.kind === 'control')) {
      if (this.openingInputs.length < OPENING_INPUTS) this.openingInputs.push(input);
      return;
    }
    this.dispatch(input);
  }

  private dispatch(input: PortInput): void {
    switch (input.kind) {
      case 'ignored':
        return this.log.debug('ignored input', { what: input.what });
      case 'invalid':
        return input.fatal === true ? this.fail(input.code, input.message) : this.sendError(input.code, input.message);
      case 'audio':
        return this.onAudio(input.payload);
      case 'control':
        return this.onControl(input.msg);
    }
  }

  private onAudio(payload: Uint8Array): void {
    if (this.state !== 'active' || this.session === undefined || this.input === undefined) {
      return this.sendError('HANDSHAKE_REQUIRED', 'audio before session.started');
    }
    // A draining server starts no new turns; audio could start one through the VAD.
    if (this.draining) return;
    const pcm = this.input.decode(payload);
    if (pcm.length === 0) return;
    if (!this.audioBudget.take((pcm.length * 1000) / ENGINE_INPUT_RATE_HZ, this.deps.now())) {
      return this.sendError('RATE_LIMITED', 'audio arrives faster than real time: frames dropped');
    }
    this.session.pushAudio(pcm);
  }

  private onControl(msg: PortControl): void {
    if (msg.type === 'session.start') {
      if (this.state !== 'handshake') return this.sendError('BAD_REQUEST', 'session.start sent twice');
      const slot = this.deps.admitSession?.(msg.who) ?? { ok: true };
      if (!(slot instanceof Promise)) return this.admitted(msg, slot);
      // A fleet slot is being claimed: inputs wait as they do while the session opens.
      this.state = 'opening';
      slot.then((s) => this.admitted(msg, s), (err: unknown) => this.onThrown(err));
      return;
    }
    const session = this.session;
    const output = this.output;
    if (this.state !== 'active' || session === undefined || output === undefined) {
      return this.sendError('HANDSHAKE_REQUIRED', `${msg.type} before session.started`);
    }
    switch (msg.type) {
      case 'input.text':
      case 'input.commit':
        if (this.draining) return this.sendError('SHUTTING_DOWN', 'the server is shutting down: no new turns');
        output.expectTurn();
        if (msg.type === 'input.commit') return session.commit();
        // The engine cuts an answer still playing, asking this call's playout what was heard.
        return session.pushText(msg.text, msg.mode);
      case 'input.clear':
        return session.clearInput();
      case 'response.cancel':
        return session.cancel();
      case 'session.update':
        return session.setMode(msg.mode);
      case 'session.end':
        return this.end();
    }
  }

  private admitted(msg: PortSessionStart, slot: SessionAdmission): void {
    if (this.state === 'closed') return;
    if (!slot.ok) return this.fail(slot.code, slot.message, slot.retryAfterMs === undefined ? {} : { retryAfterMs: slot.retryAfterMs });
    this.start(msg).catch((err: unknown) => this.onThrown(err));
  }

  // ---- session ----

  private async start(msg: PortSessionStart): Promise<void> {
    this.state = 'opening';
    const { config, engine } = this.deps;
    const vad = msg.vad ?? config.vad;
    let input: InputAudio | undefined;
    let session: EngineSession;
    try {
      input = createInputAudio(msg.input);
      session = await engine.openSession({
        mode: msg.mode,
        vad,
        // A phone line's 8 kHz audio: voice activity is scored at its own rate.
        narrowbandInput: isNarrowband(msg.input),
        endOfSpeechSilenceMs: msg.endOfSpeechSilenceMs ?? config.endOfSpeechSilenceMs,
        // The one owner of what the caller heard: this call's output (its pacer, or the port's acknowledgements).
        playout: { heardMs: (turnId) => this.output?.heardMs(turnId) ?? 0, playing: (turnId) => this.output?.playing(turnId) ?? false },
      });
    } catch (err) {
      const code: ErrorCode = err instanceof GatewayError ? err.code : 'INTERNAL';
      if (code === 'INTERNAL') this.log.error('openSession failed', { err: String(err) });
      return this.fail(code, `could not open a session: ${(err as Error).message}`, code === 'SERVER_FULL' ? { retryAfterMs: config.retryAfterMs } : {});
    }
    if (this.state !== 'opening') {
      // The caller hung up while the session opened.
      await session.close().catch(() => {});
      return;
    }
    this.session = session;
    this.input = input;
    this.sessionId = session.id;
    const output = { codec: msg.output.codec, sampleRateHz: msg.output.sampleRateHz ?? defaultOutputRateHz(msg.output.codec), frameMs: 20 };
    this.output = new CallOutput({
      port: this.deps.port,
      format: output,
      leadMs: config.outputLeadMs,
      guard: this.guard,
      now: this.deps.now,
      send: (m) => this.send(m),
      onSlowConsumer: () => this.slowConsumer(),
      onSettled: () => this.settleDrain(),
      onAudioSent: () => (this.lastActivityMs = this.deps.now()),
    });
    this.unsubscribe = session.on((ev) => this.guarded(() => this.onEngineEvent(ev)));
    this.state = 'active';
    this.startedAtMs = this.deps.now();
    this.send({
      type: 'session.started',
      sessionId: session.id,
      version: PROTOCOL_VERSION,
      model: engine.modelName,
      mode: msg.mode,
      vad,
      // Formats as the port declared them: protocol formats for voxgate's own ports; a phone port never puts its
      // G.711 formats on our wire (it does not forward session.started).
      input: msg.input as InputFormat,
      output: output as OutputFormat,
      limits: {
        maxMessageBytes: config.maxMessageBytes,
        maxFramesPerSecond: config.maxFramesPerSecond,
        sessionTimeoutMs: config.sessionTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        outputLeadMs: config.outputLeadMs,
      },
    });
    this.log.info('session started', { sessionId: session.id, mode: msg.mode, input: msg.input, output });
    for (const input of this.openingInputs.splice(0)) {
      if (this.state !== 'active') break;
      this.dispatch(input);
    }
  }

  private onEngineEvent(ev: EngineEvent): void {
    if (this.state !== 'active' || this.output === undefined) return;
    this.lastActivityMs = this.deps.now();
    this.output.handle(ev);
    this.observeTurn(ev);
    if (ev.type !== 'error') return;
    if (ev.fatal) return this.fail(ev.code, ev.message);
    this.sendError(ev.code, ev.message, ev.turnId);
  }

  /** Per-turn metrics and one log line per turn: timings always, what was said only when opted in. */
  private observeTurn(ev: EngineEvent): void {
    const transport = this.deps.port.dialect;
    switch (ev.type) {
      case 'transcript.final':
        if (this.deps.logTranscripts === true) this.said.transcript = ev.text;
        return;
      case 'answer.final':
        if (this.deps.logTranscripts === true) this.said.answer = ev.text;
        return;
      case 'turn.done': {
        this.deps.observer?.turnEnded(transport, 'done', ev.timings);
        this.log.info('turn done', { sessionId: this.sessionId, turnId: ev.turnId, mode: ev.mode, timings: ev.timings, ...this.said });
        this.said = {};
        return;
      }
      case 'interrupted':
        this.deps.observer?.turnEnded(transport, 'interrupted');
        this.log.info('turn interrupted', { sessionId: this.sessionId, turnId: ev.turnId });
        this.said = {};
        return;
      case 'error':
        if (ev.turnId === undefined) return;
        this.deps.observer?.turnEnded(transport, 'error');
        this.log.warn('turn failed', { sessionId: this.sessionId, turnId: ev.turnId, code: ev.code, message: ev.message });
        this.said = {};
        return;
      default:
        return;
    }
  }

  // ---- outbound ----

  /** Writes a message and applies the send-buffer policy (text events are never dropped, only bounded). */
  private send(msg: ServerMessage): void {
    if (this.state === 'closed') return;
    this.write(msg);
    this.lastActivityMs = this.deps.now();
    if (this.guard.check(this.deps.port.bufferedBytes, this.lastActivityMs) === 'disconnect') this.slowConsumer();
  }

  private write(msg: ServerMessage): void {
    if (msg.type === 'error') this.deps.observer?.errorSent(msg.code);
    this.deps.port.send(msg);
  }

  private sendError(code: ErrorCode, message: string, turnId?: string): void {
    if (this.errorBudget.hit(this.deps.now()) !== 'ok') return;
    this.send({ type: 'error', code, message, fatal: false, ...(turnId === undefined ? {} : { turnId }) });
  }

  private slowConsumer(): void {
    this.fail('SLOW_CONSUMER', `send buffer above ${this.deps.config.maxBufferedBytes} bytes: the caller is not reading`);
  }

  // ---- endings ----

  /** The transport's name, as metrics and the fleet registry call it. */
  get transport(): string {
    return this.deps.port.dialect;
  }

  /** Ended by the operator (fleet control): a normal close, as if the caller had ended it. */
  endByOperator(): void {
    this.end('ended by the operator');
  }

  private end(reason = 'session ended'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.deps.port.close(NORMAL_CLOSE, reason);
    this.dispose({ errorCode: undefined, closeCode: NORMAL_CLOSE, hungUp: false });
    this.log.info('session ended', { sessionId: this.sessionId });
  }

  private onHangUp(code: number, failure: 'TRANSPORT_FAILED' | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dispose({ errorCode: failure, closeCode: code, hungUp: failure === undefined });
    if (failure === undefined) this.log.info('caller hung up', { sessionId: this.sessionId, code });
    else this.log.info('call closed', { sessionId: this.sessionId, code: failure, closeCode: code });
  }

  /** Frees everything the call holds; the engine session is closed in the background (this.closed). */
  private dispose(end: Pick<CallClosedInfo, 'errorCode' | 'closeCode' | 'hungUp'>): void {
    this.unsubscribe?.();
    this.output?.close();
    const session = this.session;
    this.session = undefined;
    this.input = undefined;
    if (session !== undefined) {
      this.closed = session.close().catch((err: unknown) => {
        this.log.warn('engine session close failed', { sessionId: session.id, err: String(err) });
      });
    }
    this.settleDrain();
    const dropped = this.output?.droppedAudioFrames ?? 0;
    if (dropped > 0) this.log.warn('audio frames dropped', { sessionId: this.sessionId, droppedAudioFrames: dropped, peakBufferedBytes: this.guard.peakBytes });
    this.deps.onClosed(this, {
      callId: this.id,
      transport: this.deps.port.dialect,
      sessionId: this.sessionId,
      ...end,
      durationMs: this.deps.now() - this.createdAtMs,
      droppedAudioFrames: dropped,
      peakBufferedBytes: this.guard.peakBytes,
    });
  }

  private isBusy(): boolean {
    return this.state === 'opening' || (this.state === 'active' && this.output?.isBusy === true);
  }

  private settleDrain(): void {
    if (this.drainWaiters.length === 0 || this.isBusy()) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A caller's bad input becomes an error event; anything else is a bug, contained to this call. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onThrown(err);
    }
  }

  private onThrown(err: unknown): void {
    if (err instanceof GatewayError) return this.sendError(err.code, err.message);
    this.log.error('call failed', { err: err instanceof Error ? err.stack : String(err) });
    this.fail('INTERNAL', 'internal error');
  }
}
