// What a phone caller has heard, from the provider's own word: each chunk of answer audio is followed by a mark,
// and the provider sends the mark back when the audio before it has played. `clear` drops queued audio; marks of
// cleared audio may still come back and are ignored. A mark never acknowledged (a provider that does not send
// them) counts as played ackTimeoutMs after it was sent, so one silent provider cannot hold an answer open forever.
import type { Playout } from '../engine/types.ts';

/** Marks awaiting their acknowledgement at most: at real-time pacing only a few seconds' worth are ever out. */
const MAX_PENDING_MARKS = 512;
/** Answers whose heard position is remembered: only the current one is ever asked about. */
const REMEMBERED_TURNS = 4;

interface PendingMark {
  name: string;
  turnId: string;
  /** Audio of the turn up to this mark, ms. */
  endMs: number;
  sentAtMs: number;
}

export class MarkPlayout implements Playout {
  private readonly pending: PendingMark[] = [];
  private readonly heard = new Map<string, number>();
  private readonly sentMs = new Map<string, number>();
  private seq = 0;
  acknowledged = 0;
  ignored = 0;

  constructor(
    private readonly now: () => number,
    private readonly ackTimeoutMs = 5_000,
  ) {}

  /** Audio of turnId went out; returns the name of the mark to send after it. */
  sent(turnId: string, audioMs: number): string {
    const endMs = (this.sentMs.get(turnId) ?? 0) + audioMs;
    this.remember(this.sentMs, turnId, endMs);
    const name = `${turnId}#${++this.seq}`;
    if (this.pending.length >= MAX_PENDING_MARKS) this.settle(this.pending.shift() as PendingMark);
    this.pending.push({ name, turnId, endMs, sentAtMs: this.now() });
    return name;
  }

  /** The provider says the audio before this mark has played. */
  acknowledge(name: string): void {
    const at = this.pending.findIndex((m) => m.name === name);
    if (at < 0) {
      this.ignored++; // a mark of cleared audio, or one we never sent
      return;
    }
    this.acknowledged++;
    // Marks play in order: everything before this one has played too.
    for (const m of this.pending.splice(0, at + 1)) this.settle(m);
  }

  /** Queued audio was dropped at the provider (`clear`): what was not acknowledged was not heard. */
  cleared(): void {
    this.pending.length = 0;
  }

  heardMs(turnId: string): number {
    this.expire();
    return this.heard.get(turnId) ?? 0;
  }

  playing(turnId: string): boolean {
    this.expire();
    return this.pending.some((m) => m.turnId === turnId);
  }

  private expire(): void {
    const now = this.now();
    while (this.pending.length > 0 && now - (this.pending[0] as PendingMark).sentAtMs > this.ackTimeoutMs) this.settle(this.pending.shift() as PendingMark);
  }

  private settle(m: PendingMark): void {
    this.remember(this.heard, m.turnId, Math.max(this.heard.get(m.turnId) ?? 0, m.endMs));
  }

  private remember(map: Map<string, number>, turnId: string, value: number): void {
    map.set(turnId, value);
    if (map.size > REMEMBERED_TURNS) map.delete(map.keys().next().value as string);
  }
}
