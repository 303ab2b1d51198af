// Who holds what: connections that have not started a session (pending) and sessions, counted apart, by address
// and by token. Pending connections never hold a session slot; when their caps are reached the oldest pending
// connection gives way to the new one, so sockets that sit idle or send garbage cannot keep a real caller out,
// whoever opens them. A pure core: the gateway closes what it is told to evict.

export interface AdmissionLimits {
  maxSessions: number;
  /** 0: no cap beyond maxSessions. */
  maxSessionsPerIp: number;
  /** 0: no cap beyond maxSessions. A signed token's own limit applies too. */
  maxSessionsPerToken: number;
  maxPendingConnections: number;
  maxPendingPerIp: number;
}

export interface Holder {
  /** The caller's address. */
  readonly ip: string;
  /** Who the token names (a signed token's subject, or the static token); undefined without auth. Set at the
   * latest when the session starts (a token checked in-band), and fixed from then on. */
  tokenKey: string | undefined;
  /** A signed token's own session cap. */
  tokenMaxSessions: number | undefined;
}

export type SessionVerdict = { ok: true } | { ok: false; message: string };

class KeyedCount {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, delta: number): void {
    const n = this.get(key) + delta;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}

type Phase = 'pending' | 'session' | 'gone';

export class AdmissionLedger<H extends Holder> {
  /** Insertion order is age: the first pending entry is the oldest. */
  private readonly pending = new Set<H>();
  private readonly pendingByIp = new KeyedCount();
  private readonly sessions = new Set<H>();
  private readonly sessionsByIp = new KeyedCount();
  private readonly sessionsByToken = new KeyedCount();
  private readonly phase = new Map<H, Phase>();

  constructor(private readonly limits: AdmissionLimits) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Whether a session could start for this holder now (asked before a connection is even taken). */
  sessionRoom(h: Pick<Holder, 'ip' | 'tokenKey' | 'tokenMaxSessions'>, extraSessions = 0): SessionVerdict {
    const { maxSessions, maxSessionsPerIp, maxSessionsPerToken } = this.limits;
    if (this.sessions.size + extraSessions >= maxSessions) return { ok: false, message: `all ${maxSessions} sessions are in use` };
    if (maxSessionsPerIp > 0 && this.sessionsByIp.get(h.ip) >= maxSessionsPerIp) {
      return { ok: false, message: `this address holds ${maxSessionsPerIp} sessions, the most one address may` };
    }
    if (h.tokenKey !== undefined) {
      const caps = [maxSessionsPerToken, h.tokenMaxSessions ?? 0].filter((n) => n > 0);
      const cap = caps.length === 0 ? 0 : Math.min(...caps);
      if (cap > 0 && this.sessionsByToken.get(h.tokenKey) >= cap) return { ok: false, message: `this token holds ${cap} sessions, the most it may` };
    }
    return { ok: true };
  }

  /** Takes a new connection as pending; returns the pending connections it displaces (oldest first), to be closed. */
  connect(h: H): H[] {
    this.pending.add(h);
    this.pendingByIp.add(h.ip, 1);
    this.phase.set(h, 'pending');
    const evicted: H[] = [];
    const { maxPendingPerIp, maxPendingConnections } = this.limits;
    if (this.pendingByIp.get(h.ip) > maxPendingPerIp) {
      for (const old of this.pending) {
        if (old.ip === h.ip && old !== h) {
          evicted.push(old);
          break;
        }
      }
    }
    for (const old of evicted) this.release(old);
    if (this.pending.size > maxPendingConnections) {
      const oldest = this.pending.values().next().value;
      if (oldest !== undefined && oldest !== h) {
        evicted.push(oldest);
        this.release(oldest);
      }
    }
    return evicted;
  }

  /** A pending connection asks for a session: it moves to the session counts, or is refused and stays pending. */
  startSession(h: H): SessionVerdict {
    if (this.phase.get(h) !== 'pending') return { ok: false, message: 'not a pending connection' };
    const verdict = this.sessionRoom(h);
    if (!verdict.ok) return verdict;
    this.dropPending(h);
    this.sessions.add(h);
    this.sessionsByIp.add(h.ip, 1);
    if (h.tokenKey !== undefined) this.sessionsByToken.add(h.tokenKey, 1);
    this.phase.set(h, 'session');
    return verdict;
  }

  /** The connection ended (or was evicted): whatever it held is free at once. Idempotent. */
  release(h: H): void {
    const phase = this.phase.get(h);
    if (phase === 'pending') this.dropPending(h);
    if (phase === 'session') {
      this.sessions.delete(h);
      this.sessionsByIp.add(h.ip, -1);
      if (h.tokenKey !== undefined) this.sessionsByToken.add(h.tokenKey, -1);
    }
    this.phase.delete(h);
  }

  private dropPending(h: H): void {
    if (this.pending.delete(h)) this.pendingByIp.add(h.ip, -1);
  }
}
