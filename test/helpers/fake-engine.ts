// fake-engine: a scripted Engine for gateway tests. It answers every turn with a transcript, an answer and a sine
// tone, on timers like the real one, so the gateway's pacing, interruption and cleanup paths all run without a model.
import type { Engine, EngineEvent, EngineSession, Mode, SessionOptions } from '../../server/src/engine/types.ts';
import { GatewayError } from '../../server/src/errors.ts';
import WebSocket from 'ws';
import { makeConfig, type Config } from '../../server/src/config.ts';
import type { CallClosedInfo } from '../../server/src/gateway/call.ts';
import type { Logger } from '../../server/src/gateway/log.ts';
import { startServer, type RunningServer } from '../../server/src/http/server.ts';

export interface FakeEngineOptions {
  modelName?: string;
  /** openSession rejects with SERVER_FULL beyond this many open sessions. */
  maxSessions?: number;
  /** Answer audio per speech-output turn. */
  answerAudioMs?: number;
  audioChunkMs?: number;
  sampleRateHz?: number;
  /** Delay between the steps of an answer. */
  stepDelayMs?: number;
  openDelayMs?: number;
  /** Instead of a normal answer, emit answer.delta events of this many bytes until cancelled or closed. */
  floodTextBytes?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FakeEngine implements Engine {
  readonly modelName: string;
  readonly sessions: FakeEngineSession[] = [];
  closed = false;

  constructor(readonly opts: FakeEngineOptions = {}) {
    this.modelName = opts.modelName ?? 'fake-engine';
  }

  get activeSessions(): number {
    return this.sessions.filter((s) => !s.closed).length;
  }

  async openSession(opts: SessionOptions): Promise<EngineSession> {
    if (this.opts.openDelayMs) await sleep(this.opts.openDelayMs);
    if (this.opts.maxSessions !== undefined && this.activeSessions >= this.opts.maxSessions) {
      throw new GatewayError('SERVER_FULL', 'fake engine is full', { retryable: true });
    }
    const session = new FakeEngineSession(`fake-${this.sessions.length + 1}`, opts, this.opts);
    this.sessions.push(session);
    return session;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.sessions.map((s) => s.close()));
  }
}

export class FakeEngineSession implements EngineSession {
  mode: Mode;
  closed = false;
  audioSamples = 0;
  readonly texts: string[] = [];
  commits = 0;
  cancels = 0;
  /** For each answer cut: the turn, and what the session's Playout said the caller had heard of it, ms. */
  readonly cuts: { turnId: string; heardMs: number }[] = [];
  private readonly listeners = new Set<(ev: EngineEvent) => void>();
  private turns = 0;
  private speech: { turnId: string; samples: number; silentSamples: number } | undefined;
  private answering: { turnId: string; abort: AbortController } | undefined;
  /** The last answer that finished generating: its audio may still be playing (the session's Playout knows). */
  private finished: string | undefined;

  constructor(
    readonly id: string,
    readonly options: SessionOptions,
    private readonly engineOpts: FakeEngineOptions,
  ) {
    this.mode = options.mode;
  }

  on(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pushAudio(pcm: Float32Array): void {
    this.audioSamples += pcm.length;
    let energy = 0;
    for (const x of pcm) energy += x * x;
    const speaking = pcm.length > 0 && Math.sqrt(energy / pcm.length) > 0.01;
    if (this.speech === undefined) {
      if (!speaking) return;
      this.speech = { turnId: this.nextTurnId(), samples: 0, silentSamples: 0 };
      this.cancel(); // barge-in, as the real engine does: speech over an answer still playing cuts it
      this.emit({ type: 'speech.started', turnId: this.speech.turnId, atMs: performance.now() });
    }
    this.speech.samples += pcm.length;
    this.speech.silentSamples = speaking ? 0 : this.speech.silentSamples + pcm.length;
    const endMs = this.options.endOfSpeechSilenceMs ?? 500;
    if (this.options.vad !== false && this.speech.silentSamples >= (endMs * 16000) / 1000) this.endSpeech();
  }

  pushText(text: string, mode?: Mode): void {
    this.texts.push(text);
    this.cancel();
    void this.answer(this.nextTurnId(), text, mode ?? this.mode);
  }

  commit(): void {
    this.commits++;
    this.speech ??= { turnId: this.nextTurnId(), samples: 0, silentSamples: 0 };
    this.endSpeech();
  }

  clearInput(): void {
    this.speech = undefined;
  }

  /** Cuts the answer generating, or the finished one still playing by the session's Playout. */
  cancel(): void {
    this.cancels++;
    const a = this.answering;
    const finished = this.finished;
    this.finished = undefined;
    const cut = a?.turnId ?? (finished !== undefined && this.options.playout?.playing(finished) === true ? finished : undefined);
    if (cut === undefined) return;
    a?.abort.abort();
    this.answering = undefined;
    this.cuts.push({ turnId: cut, heardMs: this.options.playout?.heardMs(cut) ?? 0 });
    this.emit({ type: 'interrupted', turnId: cut });
  }

  setMode(mode: Mode): void {
    this.mode = mode;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.answering?.abort.abort();
    this.answering = undefined;
    this.listeners.clear();
  }

  private nextTurnId(): string {
    return `${this.id}-t${++this.turns}`;
  }

  private endSpeech(): void {
    const s = this.speech;
    if (s === undefined) return;
    this.speech = undefined;
    this.emit({ type: 'speech.stopped', turnId: s.turnId, atMs: performance.now() });
    void this.answer(s.turnId, `heard ${Math.round(s.samples / 16)} ms`, this.mode);
  }

  private emit(ev: EngineEvent): void {
    if (this.closed) return;
    for (const l of this.listeners) l(ev);
  }

  private async answer(turnId: string, transcript: string, mode: Mode): Promise<void> {
    this.answering?.abort.abort();
    const abort = new AbortController();
    this.answering = { turnId, abort };
    const o = this.engineOpts;
    const step = () => sleep(o.stepDelayMs ?? 2).then(() => abort.signal.aborted || this.closed);
    const t0 = performance.now();
    const timings = { endOfInputMs: t0, ttfaMs: undefined as number | undefined, firstAnswerMs: undefined as number | undefined };

    if (await step()) return;
    this.emit({ type: 'transcript.delta', turnId, text: transcript });
    this.emit({ type: 'transcript.final', turnId, text: transcript });
    if (o.floodTextBytes !== undefined) return this.flood(turnId, o.floodTextBytes, abort.signal);

    const answer = `you said: ${transcript}`;
    for (const word of answer.split(/(?<= )/)) {
      if (await step()) return;
      timings.firstAnswerMs ??= performance.now() - t0;
      this.emit({ type: 'answer.delta', turnId, text: word });
    }
    this.emit({ type: 'answer.final', turnId, text: answer });

    let audioMs = 0;
    if (mode.endsWith('-to-speech')) {
      const rate = o.sampleRateHz ?? 16000;
      const totalMs = o.answerAudioMs ?? 300;
      const chunkMs = o.audioChunkMs ?? 100;
      this.emit({ type: 'audio.start', turnId, sampleRateHz: rate });
      for (let at = 0; at < totalMs; at += chunkMs) {
        if (await step()) return;
        timings.ttfaMs ??= performance.now() - t0;
        const n = Math.round((Math.min(chunkMs, totalMs - at) * rate) / 1000);
        const pcm = new Float32Array(n);
        const offset = Math.round((at * rate) / 1000);
        for (let i = 0; i < n; i++) pcm[i] = 0.3 * Math.sin((2 * Math.PI * 440 * (offset + i)) / rate);
        this.emit({ type: 'audio.chunk', turnId, pcm, sampleRateHz: rate });
        audioMs += (n * 1000) / rate;
      }
      this.emit({ type: 'audio.end', turnId });
    }
    if (this.answering?.turnId === turnId) {
      this.answering = undefined;
      this.finished = turnId;
    }
    this.emit({
      type: 'turn.done',
      turnId,
      mode,
      timings: {
        endOfInputMs: t0,
        ...(timings.firstAnswerMs === undefined ? {} : { firstAnswerMs: timings.firstAnswerMs }),
        ...(timings.ttfaMs === undefined ? {} : { ttfaMs: timings.ttfaMs }),
        totalMs: performance.now() - t0,
        inputUnits: 0,
        outputTextTokens: answer.length,
        outputUnits: 0,
        audioMs,
      },
    });
  }

  private async flood(turnId: string, bytes: number, signal: AbortSignal): Promise<void> {
    const text = 'x'.repeat(bytes);
    // Bounded so a broken gateway fails the test instead of eating the machine's memory.
    for (let i = 0; i < 4000 && !signal.aborted && !this.closed; i++) {
      this.emit({ type: 'answer.delta', turnId, text });
      await new Promise<void>((r) => setImmediate(r)); // let the socket drain, as a real producer would
    }
  }
}

// ---- a voxgate server on the fake engine, and a raw WebSocket peer for protocol-level tests ----


export interface TestServer<E extends Engine = Engine> {
  server: RunningServer;
  /** The engine once loaded (throws before). */
  readonly engine: E;
  closedCalls: CallClosedInfo[];
  /** Resolves with the first closed call matching (already closed, or the next one to close). */
  callClosed(match?: (info: CallClosedInfo) => boolean): Promise<CallClosedInfo>;
  close(): Promise<void>;
}

export type FakeServer = TestServer<FakeEngine>;

/** A voxgate server on 127.0.0.1, any free port, on the given engine: the fake here, the real one elsewhere. */
export async function startTestServer<E extends Engine>(engine: E | Promise<E>, config: Partial<Config> = {}, log?: Logger): Promise<TestServer<E>> {
  const closedCalls: CallClosedInfo[] = [];
  const waiters: { match: (i: CallClosedInfo) => boolean; resolve: (i: CallClosedInfo) => void }[] = [];
  let loaded: E | undefined;
  void Promise.resolve(engine).then((e) => (loaded = e), () => {});
  const server = await startServer({
    config: makeConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...config }),
    engine,
    ...(log === undefined ? {} : { log }),
    onCallClosed: (info) => {
      closedCalls.push(info);
      for (const w of waiters.splice(0)) {
        if (w.match(info)) w.resolve(info);
        else waiters.push(w);
      }
    },
  });
  return {
    server,
    get engine(): E {
      if (loaded === undefined) throw new Error('engine not loaded yet');
      return loaded;
    },
    closedCalls,
    callClosed(match = () => true) {
      const done = closedCalls.find(match);
      return done ? Promise.resolve(done) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => server.close(200),
  };
}

export function startFakeServer(
  config: Partial<Config> = {},
  engineOpts: FakeEngineOptions = {},
  engine: FakeEngine | Promise<FakeEngine> = new FakeEngine(engineOpts),
): Promise<FakeServer> {
  return startTestServer(engine, config);
}

export type PeerMessage = { binary: true; data: Buffer } | { binary: false; json: Record<string, unknown> };

/** A WebSocket peer that records everything it receives, for sending malformed input on purpose. */
export class RawPeer {
  readonly messages: PeerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      this.messages.push(isBinary ? { binary: true, data } : { binary: false, json: JSON.parse(data.toString('utf8')) as Record<string, unknown> });
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** localAddress: the source address (any of 127.0.0.0/8 on Linux), to be another caller as the server sees it. */
  static open(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<RawPeer> {
    const ws = new WebSocket(url, { headers, ...(localAddress === undefined ? {} : { localAddress }) });
    return new Promise((resolve, reject) => {
      const peer = new RawPeer(ws);
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    });
  }

  send(data: string | Uint8Array | Record<string, unknown>): void {
    if (typeof data === 'string' || data instanceof Uint8Array) this.ws.send(data);
    else this.ws.send(JSON.stringify(data));
  }

  events(type?: string): Record<string, unknown>[] {
    return this.messages.flatMap((m) => (!m.binary && (type === undefined || m.json['type'] === type) ? [m.json] : []));
  }

  /** Waits for the first received event (after `from` messages) matching pred. */
  async waitFor(pred: (ev: Record<string, unknown>) => boolean, timeoutMs = 5000, from = 0): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.slice(from).find((m) => !m.binary && pred(m.json));
      if (hit && !hit.binary) return hit.json;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before a matching event; got ${JSON.stringify(this.events())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.events())}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  waitForType(type: string, timeoutMs?: number, from?: number): Promise<Record<string, unknown>> {
    return this.waitFor((ev) => ev['type'] === type, timeoutMs, from);
  }
}

export const SESSION_START_PCM16 = {
  type: 'session.start',
  version: 1,
  mode: 'text-to-speech',
  input: { codec: 'pcm16', sampleRateHz: 16000 },
  output: { codec: 'pcm16', sampleRateHz: 16000 },
  vad: false,
} as const;
