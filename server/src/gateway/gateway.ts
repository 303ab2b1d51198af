// The gateway: admits connections (capacity, readiness), runs one Call per caller against the Engine, sweeps
// timeouts, and shuts down gracefully. Transport-agnostic: it takes media ports, whatever carried them, and its
// admission() is the one check every transport's admission goes through.
import type { Config } from '../config.ts';
import type { Engine, EngineGaugeReadings } from '../engine/types.ts';
import type { ErrorCode } from '../errors.ts';
import type { ClaimRequest, ClaimVerdict, RedisState } from '../fleet/fleet-node.ts';
import type { MediaPort } from '../transport/media-port.ts';
import { AdmissionLedger, type Holder } from './admission-ledger.ts';
import { Call, type CallClosedInfo } from './call.ts';
import { silentLogger, type Logger } from './log.ts';
import type { CallObserver } from './observer.ts';

export type Readiness = 'loading' | 'ready' | 'failed' | 'draining' | 'closed';

export interface GatewayOptions {
  config: Config;
  /** The engine, or its load in progress: connections are refused with NOT_READY until it resolves. */
  engine: Engine | Promise<Engine>;
  log?: Logger;
  /** Called once per admitted call when it ends (tests and metrics). */
  onCallClosed?: (info: CallClosedInfo) => void;
  /** Metrics: every call's end (refusals too), turns, errors sent. */
  observer?: CallObserver;
  now?: () => number;
  /** Cluster mode: fleet-wide caps claimed in Redis after the local ones (fleet/fleet-node.ts). */
  fleet?: FleetGate;
}

/** What the gateway asks of the fleet: a slot for a call beyond its own caps, and its release. */
export interface FleetGate {
  readonly nodeId: string;
  readonly redisState: RedisState;
  /** Calls the whole fleet held at the last heartbeat. */
  readonly fleetCalls: number | undefined;
  claim(req: ClaimRequest): Promise<ClaimVerdict>;
  release(callId: string): void;
  /** Ends a call another node holds (through the fleet's control channel); true when one did. */
  endElsewhere(callId: string): Promise<boolean>;
}

export type Admission =
  | { ok: true }
  | { ok: false; code: Extract<ErrorCode, 'NOT_READY' | 'SERVER_FULL' | 'SHUTTING_DOWN' | 'INTERNAL'>; message: string; retryAfterMs?: number };

/** Who a connection is, as far as admission cares: its address and what its token names. */
export interface CallerIdentity {
  ip: string;
  tokenKey?: string | undefined;
  tokenMaxSessions?: number | undefined;
}

interface CallHolder extends Holder {
  call?: Call;
}

export interface GatewayStats {
  readiness: Readiness;
  /** Admitted connections, with or without a session yet. */
  connections: number;
  /** Connections that have not started a session: they hold no session slot. */
  pending: number;
  /** Session slots held (from session.start until the call ends). */
  sessions: number;
  /** Pending connections closed to make room for newer ones. */
  displaced: number;
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
  /** Engine sessions of calls that have ended but are still closing: shutdown waits for them too. */
  private readonly closingSessions = new Set<Promise<void>>();
  private readonly holders = new Map<Call, CallHolder>();
  private readonly ledger: AdmissionLedger<CallHolder>;
  private displaced = 0;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly sweep: NodeJS.Timeout;
  private callsTotal = 0;
  private refusedFull = 0;

  constructor(private readonly opts: GatewayOptions) {
    this.config = opts.config;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? (() => performance.now());
    const c = this.config;
    this.ledger = new AdmissionLedger({
      maxSessions: c.maxSessions,
      maxSessionsPerIp: c.maxSessionsPerIp,
      maxSessionsPerToken: c.maxSessionsPerToken,
      maxPendingConnections: c.maxPendingConnections,
      maxPendingPerIp: c.maxPendingPerIp,
    });
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

  /** The engine's shared resources, once it has loaded and where it reports them. */
  engineGauges(): EngineGaugeReadings | undefined {
    return this.engine?.gauges?.();
  }

  stats(): GatewayStats {
    return {
      readiness: this.state,
      connections: this.calls.size,
      pending: this.ledger.pendingCount,
      sessions: this.ledger.sessionCount,
      displaced: this.displaced,
      callsTotal: this.callsTotal,
      refusedFull: this.refusedFull,
    };
  }

  /**
   * Whether a new call may start now: readiness, then session room (in total, for the caller's address and
   * token). `pending` counts calls a transport is still setting up (WebRTC offers being answered) that will be
   * handed over. Connections without a session are not counted here: they never hold a session slot.
   */
  admission(pending = 0, who?: CallerIdentity): Admission {
    const retryAfterMs = this.config.retryAfterMs;
    if (this.state === 'draining' || this.state === 'closed') return { ok: false, code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryAfterMs };
    if (this.state === 'failed') return { ok: false, code: 'INTERNAL', message: 'the model failed to load' };
    if (this.engine === undefined) return { ok: false, code: 'NOT_READY', message: 'the model is still loading', retryAfterMs };
    const room = this.ledger.sessionRoom({ ip: who?.ip ?? '', tokenKey: who?.tokenKey, tokenMaxSessions: who?.tokenMaxSessions }, pending);
    if (!room.ok) return { ok: false, code: 'SERVER_FULL', message: room.message, retryAfterMs };
    return { ok: true };
  }

  /** Offers being negotiated may not outnumber the pending-connection cap (each costs a peer connection). */
  mayNegotiate(negotiating: number): boolean {
    return negotiating < this.config.maxPendingConnections;
  }

  /**
   * Takes a new caller's port: runs a Call on it, or answers the refusal and closes it. The call is pending until
   * its session.start, which takes a session slot; pending connections beyond their caps displace the oldest.
   */
  accept(port: MediaPort, who: Omit<CallerIdentity, 'ip'> = {}): void {
    const holder: CallHolder = { ip: port.remoteAddress, tokenKey: who.tokenKey, tokenMaxSessions: who.tokenMaxSessions };
    // A Call even for refusals: it owns the one way errors are written and connections closed.
    const call = new Call({
      port,
      config: this.config,
      engine: this.engine ?? notLoaded,
      log: this.log,
      now: this.now,
      onClosed: (c, info) => this.onCallClosed(c, info),
      admitSession: (inBand) => this.startSession(holder, inBand),
      logTranscripts: this.config.logTranscripts,
      ...(this.opts.observer === undefined ? {} : { observer: this.opts.observer }),
    });
    const verdict = this.admission(0, holder);
    if (!verdict.ok) {
      if (verdict.code === 'SERVER_FULL') this.refusedFull++;
      return call.fail(verdict.code, verdict.message, verdict.retryAfterMs === undefined ? {} : { retryAfterMs: verdict.retryAfterMs });
    }
    holder.call = call;
    this.calls.add(call);
    this.holders.set(call, holder);
    this.callsTotal++;
    for (const old of this.ledger.connect(holder)) {
      this.displaced++;
      old.call?.fail('HANDSHAKE_REQUIRED', 'closed without session.start: newer connections needed the room');
    }
  }

  get fleet(): FleetGate | undefined {
    return this.opts.fleet;
  }

  /** A session slot: this node's caps first (synchronous), then, in cluster mode, the fleet's (one Redis round trip). */
  private startSession(holder: CallHolder, inBand?: Omit<CallerIdentity, 'ip'>): Admission | Promise<Admission> {
    const local = this.startLocalSession(holder, inBand);
    const { fleet } = this.opts;
    const call = holder.call;
    if (!local.ok || fleet === undefined || call === undefined) return local;
    const caps = [this.config.maxSessionsPerToken, holder.tokenMaxSessions ?? 0].filter((n) => n > 0);
    const claim = { callId: call.id, transport: call.transport, tokenKey: holder.tokenKey, tokenCap: caps.length === 0 ? 0 : Math.min(...caps) };
    return fleet.claim(claim).then((verdict): Admission => {
      // The caller may have hung up, or the node begun draining, while Redis answered.
      if (!call.isOpen || this.state === 'draining' || this.state === 'closed') {
        fleet.release(call.id);
        return { ok: false, code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryAfterMs: this.config.retryAfterMs };
      }
      if (verdict.ok) return { ok: true };
      this.refusedFull++;
      return { ok: false, code: 'SERVER_FULL', message: verdict.message, retryAfterMs: this.config.retryAfterMs };
    });
  }

  /** Ends a call this node holds (fleet control): at once, or once its answer in progress has played. */
  endCall(callId: string, drain: boolean): boolean {
    for (const call of this.calls) {
      if (call.id !== callId) continue;
      if (drain) void call.drain().then(() => call.endByOperator());
      else call.endByOperator();
      return true;
    }
    return false;
  }

  /** inBand: what a token checked in the dialect's own start names (none was presented at the upgrade). */
  private startLocalSession(holder: CallHolder, inBand?: Omit<CallerIdentity, 'ip'>): Admission {
    const retryAfterMs = this.config.retryAfterMs;
    if (inBand !== undefined && holder.tokenKey === undefined) {
      holder.tokenKey = inBand.tokenKey;
      holder.tokenMaxSessions = inBand.tokenMaxSessions;
    }
    if (this.state === 'draining' || this.state === 'closed') return { ok: false, code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryAfterMs };
    const verdict = this.ledger.startSession(holder);
    if (verdict.ok) return verdict;
    this.refusedFull++;
    return { ok: false, code: 'SERVER_FULL', message: verdict.message, retryAfterMs };
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
    // A call that ended just before may still be releasing its engine session; the engine's owner closes the
    // engine right after this resolves, and must not pull it from under that release.
    await Promise.all([...this.closingSessions]);
    clearInterval(this.sweep);
    this.state = 'closed';
  }

  private tick(): void {
    const now = this.now();
    for (const call of this.calls) call.tick(now);
  }

  private onCallClosed(call: Call, info: CallClosedInfo): void {
    const admitted = this.calls.delete(call);
    this.opts.observer?.callEnded(info, admitted);
    if (!admitted) return; // a refusal
    const closing = call.closed;
    this.closingSessions.add(closing);
    void closing.finally(() => this.closingSessions.delete(closing));
    const holder = this.holders.get(call);
    this.holders.delete(call);
    if (holder !== undefined) this.ledger.release(holder);
    this.opts.fleet?.release(call.id);
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
