// The engine: one loaded model serving many sessions. Each session holds one LLM sequence from the
// shared context; the engine only admits, tracks and closes them.
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { VoxSession, type SessionLimits } from '../session/session.ts';
import { lmTokenSequence } from './lm-sequence.ts';
import type { EngineModel } from './model.ts';
import type { Engine, EngineSession, SessionOptions } from './types.ts';

export class VoxEngine implements Engine {
  readonly modelName: string;
  private readonly sessions = new Set<VoxSession>();
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

  get activeSessions(): number {
    return this.sessions.size;
  }

  async openSession(opts: SessionOptions): Promise<EngineSession> {
    if (this.closing) throw new GatewayError('SHUTTING_DOWN', 'the engine is shutting down', { retryable: true });
    if (this.sessions.size >= this.maxSessions) {
      throw new GatewayError('SERVER_FULL', `all ${this.maxSessions} sessions are in use`, { retryable: true });
    }
    const seq = this.model.lm.acquireSequence();
    const session: VoxSession = new VoxSession({
      id: randomUUID(),
      model: this.model,
      sequence: lmTokenSequence(this.model.lm, seq),
      options: opts,
      now: this.now,
      limits: this.limits,
      onClosed: () => this.sessions.delete(session),
    });
    this.sessions.add(session);
    return session;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.sessions].map((s) => s.close()));
      await this.model.close();
    })();
    return this.closing;
  }
}
