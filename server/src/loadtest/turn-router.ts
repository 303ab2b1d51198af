// Routes one call's server events to the turn they belong to. The server names turns; the caller only knows
// the order it asked its questions in, so the first event of a turnId not seen before goes to the latest
// question that has no turnId yet (the one being spoken or just committed).
import type { TurnProbe } from './turn-probe.ts';
import type { CallerMessage } from './transports.ts';

export class TurnRouter {
  private readonly byId = new Map<string, TurnProbe>();
  private claimant: TurnProbe | undefined;
  private readonly all: TurnProbe[] = [];

  /** The next question: it claims the next new turnId. */
  add(probe: TurnProbe): void {
    this.claimant = probe;
    this.all.push(probe);
  }

  get probes(): readonly TurnProbe[] {
    return this.all;
  }

  event(msg: CallerMessage): void {
    if (!('turnId' in msg) || msg.turnId === undefined) return;
    this.probeFor(msg.turnId)?.onEvent(msg);
  }

  audio(turnId: string, frameMs: number): void {
    this.probeFor(turnId)?.onAudioFrame(frameMs);
  }

  private probeFor(turnId: string): TurnProbe | undefined {
    const known = this.byId.get(turnId);
    if (known !== undefined) return known;
    const c = this.claimant;
    if (c === undefined || c.turnId !== undefined) return undefined;
    c.turnId = turnId;
    this.byId.set(turnId, c);
    return c;
  }
}
