// One caller's conversation in one LLM sequence: turns follow each other in the same KV cache (multi-turn
// memory). Every operation runs through a serial queue; prefills queued while a caller speaks coalesce, and a
// generation takes the not-yet-started prefill into its own first evaluation, so at end of speech only one
// evaluation (tail + first token) stands before the answer. When the sequence fills, or holds more earlier
// turns than the model reads, the oldest whole turns are erased, never the one in progress.
import { GatewayError } from '../errors.ts';
import { SerialQueue } from './serial-queue.ts';
import type { TokenSequence } from './token-sequence.ts';
import type { ForbiddenNext } from '../runtimes/language-model.ts';
import type { StepUrgency } from '../runtimes/lm-schedule.ts';

/** Room kept, besides the answer's, for the next turn's prompt (≈ 3.5 s of speech units). */
const NEXT_PROMPT_ALLOWANCE_TOKENS = 128;

export interface ConversationOptions {
  /** Token that ends an answer; it is evaluated before the next turn's prompt, as in training. */
  endOfAnswerId: number;
  /** Room kept free when prefilling a prompt, for the answer still to come. */
  answerReserveTokens: number;
  /**
   * Earlier turns kept before a new question (the default model, trained with one earlier turn in some of its
   * conversations, hears worse after any); undefined: as many as the context holds.
   */
  earlierTurns?: number;
}

/** How a finished generation leaves the sequence. */
export type Settlement =
  /** Keep the first `keep` generated tokens; `carry` goes in front of the next turn (e.g. end of answer). */
  | { kind: 'keep'; keep: number; carry: number[] }
  /** Erase the whole turn, prompt included (malformed output must not steer later turns). */
  | { kind: 'drop' };

export interface GenerationEnd {
  /** Tokens yielded; the last one is not evaluated. */
  generated: number;
  lastToken: number | undefined;
  error: unknown;
}

export interface GenerationRequest {
  turnId: string;
  /** Tokens to evaluate before generating (the rest of the prompt). */
  tail: readonly number[];
  /** The tail begins the turn (its whole prompt is in it: a text turn, or speech that came all at once). */
  startsTurn?: boolean;
  maxTokens: number;
  signal: AbortSignal;
  /** Each generated token; return false to stop. */
  onToken: (token: number) => boolean;
  /** Called inside the generation's exclusive step: what of the answer stays in memory. */
  settle: (end: GenerationEnd) => Settlement;
  /** When the caller's next audio is due (engine clock) and the prefill it tolerates per LLM batch. */
  urgency?: StepUrgency;
  /** Tokens the next step must pass over: the answer grammar at the parser's position. */
  forbidden?: ForbiddenNext;
}

interface TurnRecord {
  id: string;
  /** First token of the turn's prompt. */
  start: number;
  /** First generated token, once generation has begun. */
  answerStart?: number;
  /** One past the turn's last evaluated token, once its answer has settled. */
  end?: number;
}

interface PendingPrefill {
  tokens: number[];
  /** Offset in `tokens` where a turn's prompt begins, with that turn's id. */
  turnStart?: { offset: number; id: string };
  taken: boolean;
  done?: Promise<void>;
}

export class Conversation {
  private readonly queue = new SerialQueue();
  /** Tokens generated but not evaluated, to evaluate first (the last answer's end of answer). */
  private carry: number[] = [];
  /** The last queued prefill while nothing was queued after it: later tokens join it. */
  private open: PendingPrefill | undefined;
  private readonly turns: TurnRecord[] = [];
  private closed = false;

  constructor(
    private readonly seq: TokenSequence,
    private readonly opts: ConversationOptions,
  ) {}

  get tokenCount(): number {
    return this.seq.tokenCount;
  }

  /** Turns whose tokens are in the sequence. */
  get turnIds(): string[] {
    return this.turns.map((t) => t.id);
  }

  /** Queues tokens for prefill; `turnId` marks them as the start of that turn's prompt. */
  append(tokens: readonly number[], turnId?: string): Promise<void> {
    if (this.closed) return Promise.reject(new GatewayError('SHUTTING_DOWN', 'conversation closed'));
    const open = this.open;
    if (open && !open.taken && open.done) {
      if (turnId !== undefined) open.turnStart = { offset: open.tokens.length, id: turnId };
      open.tokens.push(...tokens);
      return open.done;
    }
    const p: PendingPrefill = { tokens: [...tokens], taken: false, ...(turnId !== undefined ? { turnStart: { offset: 0, id: turnId } } : {}) };
    this.open = p;
    p.done = this.queue.run(async () => {
      if (this.open === p) this.open = undefined;
      if (p.taken) return;
      p.taken = true;
      const all = await this.prepare(p, this.opts.answerReserveTokens);
      await this.seq.prefill(all);
    });
    return p.done;
  }

  /**
   * Generates after `tail` (plus any prefill not yet started), calling `onToken` for each token until it
   * returns false; `settle` decides, inside the same exclusive step, what of the answer stays in memory, so
   * nothing queued behind the generation ever sees an unsettled answer.
   */
  generate(req: GenerationRequest): Promise<GenerationEnd> {
    const { turnId, maxTokens, signal } = req;
    const stolen = this.takeOpen();
    return this.exclusive(async () => {
      const p: PendingPrefill = stolen ?? { tokens: [], taken: true };
      if (req.startsTurn) p.turnStart = { offset: p.tokens.length, id: turnId };
      p.tokens.push(...req.tail);
      const end: GenerationEnd = { generated: 0, lastToken: undefined, error: undefined };
      let turn: TurnRecord | undefined;
      try {
        const all = await this.prepare(p, Math.min(maxTokens, this.opts.answerReserveTokens));
        turn = this.turns.find((t) => t.id === turnId);
        if (turn) turn.answerStart = this.seq.tokenCount + all.length;
        if (this.closed) {
          throw new GatewayError('SHUTTING_DOWN', 'conversation closed');
        } else if (signal.aborted) {
          // Cancelled before it began: evaluate the prompt anyway so the sequence stays consistent.
          await this.seq.prefill(all);
        } else {
          for await (const token of this.seq.generate(all, maxTokens, signal, req.urgency, req.forbidden)) {
            end.generated++;
            end.lastToken = token;
            if (!req.onToken(token)) break;
          }
        }
      } catch (err) {
        end.error = err;
      }
      if (turn) {
        try {
          await this.applySettlement(turn, end.error === undefined ? req.settle(end) : { kind: 'drop' });
        } catch (err) {
          end.error ??= err;
        }
      }
      this.makeRoomSoon();
      return end;
    });
  }

  /** Erases the turn's answer from generated token `keep` on (barge-in after generation ended). */
  truncateAnswer(turnId: string, keep: number): Promise<void> {
    return this.exclusive(async () => {
      const turn = this.turns.find((t) => t.id === turnId);
      if (!turn || turn.answerStart === undefined || turn.end === undefined) return;
      const cut = Math.min(turn.end, turn.answerStart + keep);
      // Only when the answer is still the last thing in the sequence: a later turn's prompt already follows it.
      if (turn.end !== this.seq.tokenCount || cut >= turn.end) return;
      await this.erase(cut, turn.end);
      this.carry = [this.opts.endOfAnswerId];
    });
  }

  /** Removes a turn that will not be answered (no speech in it, or it failed before generating). */
  dropTurn(turnId: string): Promise<void> {
    const open = this.open;
    if (open?.turnStart?.id === turnId && !open.taken) {
      // Its prompt never reached the model: forget the queued tokens from its start on.
      open.tokens.splice(open.turnStart.offset);
      delete open.turnStart;
    }
    return this.exclusive(async () => {
      const i = this.turns.findIndex((t) => t.id === turnId);
      const turn = this.turns[i];
      if (!turn) return;
      await this.erase(turn.start, turn.end ?? this.seq.tokenCount);
      this.turns.splice(i, 1);
    });
  }

  /** Waits for queued work, then refuses more. The sequence itself is released by the owner. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.open = undefined;
    if (this.closed) return Promise.reject(new GatewayError('SHUTTING_DOWN', 'conversation closed'));
    return this.queue.run(task);
  }

  private takeOpen(): PendingPrefill | undefined {
    const open = this.open;
    this.open = undefined;
    if (!open || open.taken) return undefined;
    open.taken = true;
    return open;
  }

  /** Prepends the carry, records a turn start, and makes room for the tokens plus `reserve`. */
  private async prepare(p: PendingPrefill, reserve: number): Promise<number[]> {
    const all = [...this.carry, ...p.tokens];
    await this.makeRoom(all.length, reserve);
    if (this.seq.tokenCount + all.length > this.seq.capacityTokens) {
      throw new GatewayError('CONTEXT_FULL', `the turn needs ${all.length} more tokens; the conversation holds ${this.seq.tokenCount} of ${this.seq.capacityTokens}`);
    }
    if (p.turnStart) this.turns.push({ id: p.turnStart.id, start: this.seq.tokenCount + this.carry.length + p.turnStart.offset });
    this.carry = [];
    return all;
  }

  /**
   * Frees room for the next turn right after an answer, while the caller listens. Erasing the oldest turn
   * starts at position 0, where node-llama-cpp re-evaluates what remains (no cache shift from there): that cost
   * belongs here, not between the caller's next question and its answer.
   */
  private makeRoomSoon(): void {
    const need = this.carry.length + NEXT_PROMPT_ALLOWANCE_TOKENS;
    const full = this.seq.tokenCount + need + this.opts.answerReserveTokens > this.seq.capacityTokens;
    if (this.closed || (!full && this.settledTurns() <= this.earlierTurnsKept())) return;
    this.exclusive(async () => {
      await this.forgetOldTurns();
      await this.makeRoom(need, this.opts.answerReserveTokens);
    }).catch(() => undefined);
  }

  private earlierTurnsKept(): number {
    return this.opts.earlierTurns ?? Infinity;
  }

  /** Settled turns before the first one still in progress. */
  private settledTurns(): number {
    const open = this.turns.findIndex((t) => t.end === undefined);
    return open === -1 ? this.turns.length : open;
  }

  /** Erases the oldest settled turns until at most `earlierTurns` are left before the next question. */
  private async forgetOldTurns(): Promise<void> {
    while (this.settledTurns() > this.earlierTurnsKept()) {
      const oldest = this.turns[0];
      if (!oldest) return;
      const next = this.turns[1];
      if (next) {
        await this.erase(oldest.start, next.start);
      } else {
        // The last turn goes too: its end of answer must not open the next prompt (a first turn has none).
        await this.erase(oldest.start, this.seq.tokenCount);
        this.carry = [];
      }
      this.turns.shift();
    }
  }

  /** Erases the oldest settled turns until `need` tokens fit with `reserve` to spare (or no such turn is left). */
  private async makeRoom(need: number, reserve: number): Promise<void> {
    const limit = this.seq.capacityTokens;
    while (this.seq.tokenCount + need + reserve > limit) {
      const oldest = this.turns[0];
      const next = this.turns[1];
      if (!oldest || oldest.end === undefined || !next) return;
      await this.erase(oldest.start, next.start);
      this.turns.shift();
    }
  }

  private async applySettlement(turn: TurnRecord, s: Settlement): Promise<void> {
    if (s.kind === 'drop') {
      await this.erase(turn.start, this.seq.tokenCount);
      this.turns.splice(this.turns.indexOf(turn), 1);
      this.carry = [];
      return;
    }
    const answerStart = turn.answerStart ?? this.seq.tokenCount;
    const cut = Math.min(this.seq.tokenCount, answerStart + s.keep);
    await this.erase(cut, this.seq.tokenCount);
    turn.end = this.seq.tokenCount;
    this.carry = [...s.carry];
  }

  private async erase(start: number, end: number): Promise<void> {
    if (end <= start) return;
    await this.seq.erase(start, end);
    const n = end - start;
    const shift = (x: number) => (x >= end ? x - n : x > start ? start : x);
    for (const t of this.turns) {
      t.start = shift(t.start);
      if (t.answerStart !== undefined) t.answerStart = shift(t.answerStart);
      if (t.end !== undefined) t.end = shift(t.end);
    }
  }
}
