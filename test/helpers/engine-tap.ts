// Wraps a real Engine so a test can see what each session said (transcripts, answers, timings) while a caller
// that never sees text (a phone line) talks to it. Observes only: every call goes through to the real engine.
import type { Engine, EngineEvent, EngineSession } from '../../server/src/engine/types.ts';

export interface TappedEngine extends Engine {
  /** Every engine event of every session, in order. */
  readonly events: { sessionId: string; event: EngineEvent }[];
  turnsDone(): Extract<EngineEvent, { type: 'turn.done' }>[];
  finalText(type: 'transcript.final' | 'answer.final', turnId: string): string | undefined;
}

export function tapEngine(engine: Engine): TappedEngine {
  const events: { sessionId: string; event: EngineEvent }[] = [];
  return {
    get modelName() {
      return engine.modelName;
    },
    get activeSessions() {
      return engine.activeSessions;
    },
    close: () => engine.close(),
    async openSession(opts): Promise<EngineSession> {
      const session = await engine.openSession(opts);
      session.on((event) => events.push({ sessionId: session.id, event }));
      return session;
    },
    events,
    turnsDone: () => events.flatMap(({ event }) => (event.type === 'turn.done' ? [event] : [])),
    finalText(type, turnId) {
      const hit = events.find(({ event }) => event.type === type && event.turnId === turnId)?.event;
      return hit !== undefined && 'text' in hit ? hit.text : undefined;
    },
  };
}
