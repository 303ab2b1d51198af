// The engine: one loaded model serving many sessions. Each session holds one LLM sequence from the
// shared context; the engine only admits, tracks and closes them.
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { VoxSession, type SessionLimits } from '../session/session.ts';
import { lmTokenSequence } from './lm-sequence.ts';
import type { EngineModel } from './model.ts';
import type { LmSlot } from '../runtimes/language-model.ts';
import type { Engine, EngineGaugeReadings, EngineSession, SessionOptions } from './types.ts';

/**
 * How long openSession waits for a closing session to give its LLM sequence back. A closing session stops its
 * generation within one decode step, so this is a bound for a loaded machine, not a wait anyone should see.
 */
export const SEQUENCE_RELEASE_WAIT_MS = 5_000;

export class VoxEngine implements Engine {
  readonly modelName: string;
  /** Sessions callers hold: counted against maxSessions from open until close() begins. */
  private readonly sessions = new Set<VoxSession>();
  /** Sessions that were closed and are still giving their LLM sequence back. */
  private readonly releasing = new Set<Promise<void>>();
  /** openSession calls between their capacity check and their session. */
  private opening = 0;
  private readonly releaseListeners: ((releaseMs: number) => void)[] = [];
  private closing: Promise<void> | undefined;
  /** The engine clock: TurnTimings.endOfInputMs and every latency are on it. */
  readonly now = (): number => performance.now();

  constructor(
    readonly model: EngineModel,
    readonly maxSessions: number,
    private readonly limits: Partial<SessionLimits> = {},
  ) {
    this.modelName = model.name;
  }

  /** Sessions open and not closing: a hung-up caller stops counting the moment its session is closed. */
  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Closed sessions still releasing their LLM sequence. */
  get releasingSessions(): number {
    return this.releasing.size;
  }

  gauges(): EngineGaugeReadings {
    return {
      llmSequencesInUse: this.maxSessions - this.model.lm.freeSequences,
      vocoderQueueDepth: this.model.vocoderQueueDepth,
      llmBatches: this.model.lm.batchTotals?.() ?? null,
    };
  }

  onSessionReleased(listener: (releaseMs: number) => void): void {
    this.releaseListeners.push(listener);
  }

  async openSession(opts: SessionOptions): Promise<EngineSession> {
    if (this.closing) throw new GatewayError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true });
    if (this.sessions.size + this.opening >= this.maxSessions) {
      throw new GatewayError('SERVER_FULL', `all ${this.maxSessions} sessions are in use`, { retryable: true });
    }
    this.opening++;
    let seq;
    try {
      seq = await this.freeSequence();
    } finally {
      this.opening--;
    }
    const session: VoxSession = new VoxSession({
      id: randomUUID(),
      model: this.model,
      sequence: lmTokenSequence(this.model.lm, seq),
      options: opts,
      now: this.now,
      limits: this.limits,
      onClosing: (released) => {
        this.sessions.delete(session);
        this.releasing.add(released);
        const closedAtMs = this.now();
        void released.finally(() => {
          this.releasing.delete(released);
          const releaseMs = this.now() - closedAtMs;
          for (const listener of this.releaseListeners) listener(releaseMs);
        });
      },
    });
    this.sessions.add(session);
    return session;
  }

  /** A free LLM sequence; when closing sessions still hold them all, waits (bounded) for one to come back. */
  private async freeSequence(): Promise<LmSlot> {
    const deadline = this.now() + SEQUENCE_RELEASE_WAIT_MS;
    while (this.model.lm.freeSequences === 0 && this.releasing.size > 0 && this.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(1, deadline - this.now()))));
      await Promise.race([...this.releasing, timeout]);
      clearTimeout(timer);
    }
    return this.model.lm.acquireSequence();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.sessions].map((s) => s.close()));
      await Promise.allSettled([...this.releasing]);
      await this.model.close();
    })();
    return this.closing;
  }
}
