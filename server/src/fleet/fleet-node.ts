// One gateway node's membership of the fleet: its lease (renewed by a heartbeat), its claims on the fleet-wide
// and per-token call caps, and its entries in the registry of live calls. The node is the one owner of its own
// calls: each heartbeat makes Redis hold exactly what the node holds, so a claim whose answer was lost, or calls
// admitted on local caps while Redis was away, are set right within one heartbeat.
//
// Redis unreachable (connection lost, not yet connected, or heartbeats failing): claims answer "local" at once and
// the gateway admits on its own caps; /readyz and voxgate_fleet_redis_up say so. Redis connected but slow to
// answer one claim: that claim is refused (retryable) rather than admitted past a cap nobody checked. Nothing here
// throws into the gateway.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from '../gateway/log.ts';
import { publishControl } from './control.ts';
import { CALLS_KEY, CLAIM_SCRIPT, HEARTBEAT_SCRIPT, LEAVE_SCRIPT, RELEASE_SCRIPT } from './scripts.ts';

/** Admission waits at most this long for Redis; a heartbeat that takes longer marks Redis unreachable. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Reconnect backoff: from 100 ms, doubling, at most this. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface FleetNodeOptions {
  redisUrl: string;
  nodeId?: string | undefined;
  /** 0: no fleet-wide cap. */
  fleetMaxCalls: number;
  leaseMs: number;
  log: Logger;
}

export interface ClaimRequest {
  callId: string;
  transport: string;
  tokenKey?: string | undefined;
  /** The tightest per-token cap that applies (0: none). */
  tokenCap: number;
}

export type ClaimVerdict =
  | { ok: true; mode: 'fleet' | 'local' }
  | { ok: false; message: string; reason: 'fleet' | 'token' | 'slow' };

export type RedisState = 'connecting' | 'up' | 'down';

interface HeldCall {
  node: string;
  startedAtMs: number;
  transport: string;
  token?: string;
}

export function defaultNodeId(): string {
  return `${hostname()}-${randomBytes(2).toString('hex')}`;
}

export class FleetNode {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly fleetMaxCalls: number;
  /** Where this node answers, once listening: shown by `voxgate fleet`. */
  url: string | undefined;
  private readonly client;
  private readonly held = new Map<string, HeldCall>();
  /** Claims sent and not yet answered: a heartbeat must not drop them from the registry (they may have landed). */
  private readonly claiming = new Set<string>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly joinedAtMs = Date.now();
  private state: RedisState = 'connecting';
  private lastFleetCalls: number | undefined;
  private stopped = false;
  /** Counts for metrics: claims answered by the fleet, refused by it, and admitted on local caps. */
  readonly counts = { fleet: 0, refused: 0, local: 0 };

  constructor(private readonly opts: FleetNodeOptions) {
    this.nodeId = opts.nodeId ?? defaultNodeId();
    this.leaseMs = opts.leaseMs;
    this.fleetMaxCalls = opts.fleetMaxCalls;
    this.client = createClient({
      url: opts.redisUrl,
      // Commands fail at once while disconnected instead of queueing: admission never waits for a reconnect.
      disableOfflineQueue: true,
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** retries) },
    });
    this.client.on('error', (err: Error) => this.setState('down', err.message));
    this.client.on('ready', () => {
      this.setState('up');
      void this.heartbeat();
    });
    this.client.connect().catch((err: unknown) => this.setState('down', (err as Error).message));
    // A third of the lease: two heartbeats may be lost before a live node's lease lapses.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(opts.leaseMs / 3)));
    this.heartbeatTimer.unref();
  }

  /** The Redis connection a duplicate subscriber (control.ts) copies. */
  get redis(): ReturnType<typeof createClient> {
    return this.client;
  }

  get redisState(): RedisState {
    return this.state;
  }

  /** Calls the whole fleet held at the last heartbeat (undefined before one succeeded). */
  get fleetCalls(): number | undefined {
    return this.lastFleetCalls;
  }

  get heldCalls(): number {
    return this.held.size;
  }

  /** A slot for one call in the fleet; answers on local caps when Redis cannot answer in time. */
  async claim(req: ClaimRequest): Promise<ClaimVerdict> {
    const rec: HeldCall = { node: this.nodeId, startedAtMs: Date.now(), transport: req.transport, ...(req.tokenKey === undefined ? {} : { token: req.tokenKey }) };
    const raw = JSON.stringify(rec);
    if (this.state !== 'up' || !this.client.isReady) return this.admitLocally(req.callId, rec);
    const args = [this.nodeId, req.callId, raw, String(this.fleetMaxCalls), req.tokenKey ?? '', String(req.tokenCap)];
    let reply: [number, string | number, number?];
    this.claiming.add(req.callId);
    try {
      reply = (await this.command(() => this.client.eval(CLAIM_SCRIPT, { arguments: args }))) as typeof reply;
      // No lease (Redis restarted, or it lapsed): re-join now, with this node's calls, and claim again.
      if (reply[0] === -1 && (await this.heartbeat())) reply = (await this.command(() => this.client.eval(CLAIM_SCRIPT, { arguments: args }))) as typeof reply;
    } catch {
      // Connected but no answer in time: refused, since admitting it could pass the cap. A claim that lands late
      // is dropped by the next heartbeat (this node does not hold the call).
      if (this.state !== 'up' || !this.client.isReady) return this.admitLocally(req.callId, rec);
      this.counts.refused++;
      return { ok: false, message: 'the fleet did not answer in time', reason: 'slow' };
    } finally {
      this.claiming.delete(req.callId);
    }
    const [status, what, cap] = reply;
    if (status === 1) {
      this.held.set(req.callId, rec);
      this.counts.fleet++;
      return { ok: true, mode: 'fleet' };
    }
    if (status === -1) return this.admitLocally(req.callId, rec);
    this.counts.refused++;
    return what === 'token'
      ? { ok: false, message: `this token holds ${cap} calls across the fleet, the most it may`, reason: 'token' }
      : { ok: false, message: `all ${cap} calls of the fleet are in use`, reason: 'fleet' };
  }

  /** The call ended: its slot is free at once (or at the next heartbeat if Redis cannot be told now). */
  release(callId: string): void {
    if (!this.held.delete(callId)) return;
    void this.command(() => this.client.eval(RELEASE_SCRIPT, { arguments: [callId] })).catch(() => {});
  }

  /**
   * Ends a call another node holds (a WebRTC hang-up that the balancer sent to this node): true when the registry
   * knows the call and some node heard the control message.
   */
  async endElsewhere(callId: string): Promise<boolean> {
    try {
      if (!(await this.command(() => this.client.hExists(CALLS_KEY, callId)))) return false;
      return (await this.command(() => publishControl(this.client, { type: 'end', callId, drain: false }))) > 0;
    } catch {
      return false;
    }
  }

  /** Drained: the lease and every call go from the registry now; the connection closes. */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    this.held.clear();
    await this.command(() => this.client.eval(LEAVE_SCRIPT, { arguments: [this.nodeId] })).catch(() => {});
    await this.client.close().catch(() => {});
  }

  private admitLocally(callId: string, rec: HeldCall): ClaimVerdict {
    // Held here, so the next heartbeat that reaches Redis registers it.
    this.held.set(callId, rec);
    this.counts.local++;
    return { ok: true, mode: 'local' };
  }

  /** true when the lease was renewed. */
  private async heartbeat(): Promise<boolean> {
    if (this.stopped || !this.client.isReady) return false;
    const lease = JSON.stringify({ url: this.url, joinedAtMs: this.joinedAtMs });
    const pairs = [...[...this.held].flatMap(([id, rec]) => [id, JSON.stringify(rec)]), ...[...this.claiming].flatMap((id) => [id, ''])];
    try {
      const [calls, freed] = (await this.command(() =>
        this.client.eval(HEARTBEAT_SCRIPT, { arguments: [this.nodeId, String(this.leaseMs), lease, ...pairs] }),
      )) as [number, number];
      this.lastFleetCalls = calls;
      this.setState('up');
      if (freed > 0) this.opts.log.info('fleet: freed the calls of nodes whose lease expired', { calls: freed });
      return true;
    } catch (err) {
      this.setState('down', (err as Error).message);
      return false;
    }
  }

  /** A Redis command that gives up after COMMAND_TIMEOUT_MS (its late answer, if any, is reconciled by the heartbeat). */
  private command<T>(run: () => Promise<T>): Promise<T> {
    if (!this.client.isReady) return Promise.reject(new Error('redis is not connected'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('redis did not answer in time')), COMMAND_TIMEOUT_MS)));
    return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
  }

  private setState(next: RedisState, why?: string): void {
    if (this.stopped || next === this.state) return;
    const was = this.state;
    this.state = next;
    if (next === 'down') this.opts.log.warn('fleet: redis unreachable, admitting on local caps', { was, err: why });
    else this.opts.log.info('fleet: redis connected, admitting on fleet caps', { node: this.nodeId });
  }
}
