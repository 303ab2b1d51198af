// What each load-test call went through, by session id, so a fleet run can say which node a failure belongs to
// (each node logs the session ids it started). A connector wrapper: the load tester's calls are unchanged; this
// only listens. A turn is open from its first audio frame to turn.done; one still open when the connection closes
// other than normally is recorded with when it was spoken and committed: a committed question left unanswered is
// a lost turn, one still being spoken was never taken by the node (a draining node refuses new turns).
import type { CallerClient, Connector } from '../transports.ts';

export interface SessionTally {
  sessionId: string;
  /** The tally's clock (ms since it was made). */
  openedAtMs: number;
  turnsDone: number;
  /** Turn error events, by code (a draining node refusing a new turn says SHUTTING_DOWN). */
  turnErrors: Record<string, number>;
  /** A turn is in progress: the caller spoke and no turn.done came yet. */
  turnOpen: boolean;
  /** Answer audio is playing for the open turn. */
  answering: boolean;
  /** When the open turn's first audio went out. */
  turnOpenedAtMs: number | undefined;
  /** When the open turn was committed (its question complete). */
  turnCommittedAtMs: number | undefined;
  /** Turns open when the connection closed other than normally. */
  unfinishedTurns: { openedAtMs: number; committedAtMs: number | undefined }[];
  closedAtMs: number | undefined;
  closeCode: number | undefined;
  closeError: string | undefined;
}

export class SessionTallies {
  readonly sessions = new Map<string, SessionTally>();
  private readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  wrap(connect: Connector): Connector {
    return async (transport, opts) => {
      const client = await connect(transport, opts);
      return this.watch(client);
    };
  }

  /** Sessions whose answer audio is playing now. */
  answering(): SessionTally[] {
    return [...this.sessions.values()].filter((s) => s.answering && s.closedAtMs === undefined);
  }

  private watch(client: CallerClient): CallerClient {
    const sessionId = (client.session as { sessionId?: string }).sessionId ?? `unknown-${this.sessions.size}`;
    const t: SessionTally = {
      sessionId,
      openedAtMs: this.now(),
      turnsDone: 0,
      turnErrors: {},
      turnOpen: false,
      answering: false,
      turnOpenedAtMs: undefined,
      turnCommittedAtMs: undefined,
      unfinishedTurns: [],
      closedAtMs: undefined,
      closeCode: undefined,
      closeError: undefined,
    };
    this.sessions.set(sessionId, t);
    client.on('audio.start', () => (t.answering = true));
    client.on('turn.done', () => {
      t.turnsDone++;
      t.turnOpen = t.answering = false;
    });
    client.on('interrupted', () => (t.turnOpen = t.answering = false));
    client.on('error', (ev) => {
      if (ev.turnId === undefined) return;
      t.turnErrors[ev.code] = (t.turnErrors[ev.code] ?? 0) + 1;
      t.turnOpen = t.answering = false;
    });
    client.on('close', (info) => {
      t.closedAtMs = this.now();
      t.closeCode = info.code;
      t.closeError = info.errorCode;
      if (t.turnOpen && info.code !== 1000) t.unfinishedTurns.push({ openedAtMs: t.turnOpenedAtMs ?? t.openedAtMs, committedAtMs: t.turnCommittedAtMs });
      t.turnOpen = t.answering = false;
    });
    return {
      get session() {
        return client.session;
      },
      ...(client.carriesText === undefined ? {} : { carriesText: client.carriesText }),
      on: (type, listener) => client.on(type, listener),
      sendAudio: (pcm) => {
        if (!t.turnOpen) {
          t.turnOpenedAtMs = this.now();
          t.turnCommittedAtMs = undefined;
        }
        t.turnOpen = true;
        client.sendAudio(pcm);
      },
      commit: () => {
        t.turnCommittedAtMs = this.now();
        client.commit();
      },
      end: () => client.end(),
      close: () => client.close(),
    };
  }
}
