// The gateway: admits connections (capacity, readiness), runs one Call per caller against the Engine, sweeps
// timeouts, and shuts down gracefully. Transport-agnostic: it takes media ports, whatever carried them, and its
// admission() is the one check every transport's admission goes through.
import type { Config } from '../config.ts';
import type { Engine } from '../engine/types.ts';
import type { ErrorCode } from '../errors.ts';
import type { MediaPort } from '../transport/media-port.ts';
import { Call, type CallClosedInfo } from './call.ts';
import { silentLogger, type Logger } from './log.ts';

export type Readiness = 'loading' | 'ready' | 'failed' | 'draining' | 'closed';

export interface GatewayOptions {
  config: Config;
  /** The engine, or its load in progress: connections are refused with NOT_READY until it resolves. */
  engine: Engine | Promise<Engine>;
  log?: Logger;
  /** Called once per admitted call when it ends (tests and metrics). */
  onCallClosed?: (info: CallClosedInfo) => void;
  now?: () => number;
}

export type Admission =
  | { ok: true }
  | { ok: false; code: Extract<ErrorCode, 'NOT_READY' | 'SERVER_FULL' | 'SHUTTING_DOWN' | 'INTERNAL'>; message: string; retryAfterMs?: number };

export interface GatewayStats {
  readiness: Readiness;
  /** Admitted connections, with or without a session yet. */
  connections: number;
  /** Connections with an open engine session. */
  sessions: number;
  callsTotal: number;
  refusedFull: number;
}

export class Gateway {
  readonly config: Config;
  /** Settles when the engine has loaded (rejects if it failed). */
  readonly ready: Promise<Engine>;
  private engine: Engine | undefined;
  private state: Readiness = 'loading';
  private loadError: Error | undefined;
  private readonly calls = new Set<Call>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sweep: NodeJS.Timeout;
  private callsTotal = 0;
  private refusedFull = 0;

  constructor(private readonly opts: GatewayOptions) {
    this.config = opts.config;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? (() => performance.now());
    this.ready = Promise.resolve(opts.engine).then(
      (engine) => {
        this.engine = engine;
        if (this.state === 'loading') this.state = 'ready';
        return engine;
      },
      (err: unknown) => {
        this.loadError = err instanceof Error ? err : new Error(String(err));
        if (this.state === 'loading') this.state = 'failed';
        throw this.loadError;
      },
    );
    // Observed here so a failed load is never an unhandled rejection; callers await `ready` for the error.
    this.ready.catch(() => {});
    // Timeouts are checked by one sweep for all calls (no timer per message); a quarter of the shortest bounds the lag.
    const { handshakeTimeoutMs, idleTimeoutMs, sessionTimeoutMs, slowConsumerGraceMs } = this.config;
    const shortestMs = Math.min(handshakeTimeoutMs, idleTimeoutMs, sessionTimeoutMs, slowConsumerGraceMs || 4000);
    const sweepMs = Math.max(25, Math.min(1000, shortestMs / 4));
    this.sweep = setInterval(() => this.tick(), sweepMs);
    this.sweep.unref();
  }

  get readiness(): Readiness {
    return this.state;
  }

  get modelName(): string | undefined {
    return this.engine?.modelName;
  }

  get failure(): Error | undefined {
    return this.loadError;
  }

  stats(): GatewayStats {
    let sessions = 0;
    for (const call of this.calls) if (call.hasSession) sessions++;
    return { readiness: this.state, connections: this.calls.size, sessions, callsTotal: this.callsTotal, refusedFull: this.refusedFull };
  }

  /**
   * Whether a new call may start now: readiness, then capacity. `pending` counts calls a transport is still
   * setting up (WebRTC offers being answered) that will be handed over.
   */
  admission(pending = 0): Admission {
    const retryAfterMs = this.config.retryAfterMs;
    if (this.state === 'draining' || this.state === 'closed') return { ok: false, code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryAfterMs };
    if (this.state === 'failed') return { ok: false, code: 'INTERNAL', message: 'the model failed to load' };
    if (this.engine === undefined) return { ok: false, code: 'NOT_READY', message: 'the model is still loading', retryAfterMs };
    if (this.calls.size + pending >= this.config.maxSessions) {
      return { ok: false, code: 'SERVER_FULL', message: `all ${this.config.maxSessions} sessions are in use`, retryAfterMs };
    }
    return { ok: true };
  }

  /** Takes a new caller's port: runs a Call on it, or answers the refusal and closes it. */
  accept(port: MediaPort): void {
    // A Call even for refusals: it owns the one way errors are written and connections closed.
    const call = new Call({
      port,
      config: this.config,
      engine: this.engine ?? notLoaded,
      log: this.log,
      now: this.now,
      onClosed: (c, info) => this.onCallClosed(c, info),
    });
    const verdict = this.admission();
    if (!verdict.ok) {
      if (verdict.code === 'SERVER_FULL') this.refusedFull++;
      return call.fail(verdict.code, verdict.message, verdict.retryAfterMs === undefined ? {} : { retryAfterMs: verdict.retryAfterMs });
    }
    this.calls.add(call);
    this.callsTotal++;
  }

  /**
   * Graceful stop: refuse new connections, let answers in progress finish (at most graceMs), then close every
   * call with SHUTTING_DOWN and wait for their engine sessions to close. The engine itself stays open: its owner
   * closes it.
   */
  async shutdown(graceMs = this.config.shutdownGraceMs): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'draining';
    const calls = [...this.calls];
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(calls.map((c) => c.drain())), grace]);
    clearTimeout(timer);
    for (const call of calls) call.fail('SHUTTING_DOWN', 'the server is shutting down', { retryAfterMs: this.config.retryAfterMs });
    await Promise.all(calls.map((c) => c.closed));
    clearInterval(this.sweep);
    this.state = 'closed';
  }

  private tick(): void {
    const now = this.now();
    for (const call of this.calls) call.tick(now);
  }

  private onCallClosed(call: Call, info: CallClosedInfo): void {
    if (!this.calls.delete(call)) return; // a refusal, never admitted
    this.opts.onCallClosed?.(info);
  }
}

/** Stands in for the engine on calls refused before it loaded; such calls never open a session. */
const notLoaded: Engine = {
  modelName: '(loading)',
  activeSessions: 0,
  openSession: () => Promise.reject(new Error('engine not loaded')),
  close: () => Promise.resolve(),
};
