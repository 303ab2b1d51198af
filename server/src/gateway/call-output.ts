// One session's outbound side: engine events → protocol messages and paced audio frames, barge-in and
// cancellation. Audio, audio.start/end and turn.done share the paced queue, so each mark reaches the caller right
// after the audio it belongs to; text events go at once.
import {
  encodeAudioFrame,
  type OutputFormat,
  type ServerMessage,
} from '../../../client-sdk/src/protocol/index.ts';
import type { EngineEvent } from '../engine/types.ts';
import type { Connection } from '../transport/connection.ts';
import { OutputAudio } from './audio-out.ts';
import type { SendBufferGuard } from './backpressure.ts';
import { PacedOutput } from './paced-output.ts';
import { immediateMessage, wireTimings } from './wire-events.ts';

/** Five minutes of 20 ms frames: far above any answer the model may produce, and still a bound. */
const AUDIO_QUEUE_FRAMES = 15_000;
/** Room kept for marks, so a full audio queue can never lose an audio.end or turn.done. */
const MARK_HEADROOM = 256;
/** Interrupted turns remembered, to drop their late audio and not announce them twice. */
const REMEMBERED_INTERRUPTS = 16;

type OutItem = { kind: 'audio'; payload: Uint8Array } | { kind: 'mark'; msg: ServerMessage };

export interface CallOutputDeps {
  conn: Connection;
  format: OutputFormat;
  leadMs: number;
  guard: SendBufferGuard;
  now: () => number;
  /** Sends a text event now (the call tracks activity and buffer limits). */
  send: (msg: ServerMessage) => void;
  /** The send buffer crossed the disconnect threshold. */
  onSlowConsumer: () => void;
  /** Stop the engine's answer in progress. */
  cancelEngine: () => void;
  /** Something changed that may end a drain. */
  onSettled: () => void;
  /** Audio went out: the call is not idle. */
  onAudioSent: () => void;
}

export class CallOutput {
  droppedAudioFrames = 0;
  private readonly audio: OutputAudio;
  private readonly paced: PacedOutput<OutItem>;
  /** Turns with output the caller has not fully received (from speech.stopped until turn.done is delivered). */
  private readonly openTurns = new Set<string>();
  private readonly interrupted: string[] = [];
  /** A text turn or commit was sent and the engine has not answered it yet. */
  private expectingTurn = false;

  constructor(private readonly deps: CallOutputDeps) {
    this.audio = new OutputAudio(deps.format);
    this.paced = new PacedOutput<OutItem>({
      leadMs: deps.leadMs,
      capacity: AUDIO_QUEUE_FRAMES + MARK_HEADROOM,
      now: deps.now,
      deliver: (item) => this.deliver(item),
    });
  }

  /** An answer is being generated or played: a draining server waits for it. */
  get isBusy(): boolean {
    return this.expectingTurn || this.openTurns.size > 0 || !this.paced.isIdle;
  }

  expectTurn(): void {
    this.expectingTurn = true;
  }

  handle(ev: EngineEvent): void {
    switch (ev.type) {
      case 'speech.started':
        if (!this.openTurns.has(ev.turnId)) this.bargeIn();
        this.deps.send({ type: ev.type, turnId: ev.turnId });
        return;
      case 'interrupted':
        this.interruptOutput(ev.turnId);
        return;
      case 'error':
        // Handled by the call (it may close the connection); here it only ends the wait for a turn.
        this.expectingTurn = false;
        if (ev.turnId !== undefined) this.openTurns.delete(ev.turnId);
        this.deps.onSettled();
        return;
    }
    if (this.interrupted.includes(ev.turnId)) {
      // Late output of a cut turn: drop its audio; turn.done still reports its timings.
      if (ev.type === 'turn.done') this.deps.send({ type: 'turn.done', turnId: ev.turnId, mode: ev.mode, timings: wireTimings(ev.timings) });
      return;
    }
    this.expectingTurn = false;
    this.openTurns.add(ev.turnId);
    const now = immediateMessage(ev);
    if (now !== undefined) return this.deps.send(now);
    switch (ev.type) {
      case 'audio.start': {
        const { codec, sampleRateHz, frameMs } = this.deps.format;
        return this.queueMark({ type: 'audio.start', turnId: ev.turnId, codec, sampleRateHz, frameMs });
      }
      case 'audio.chunk':
        return this.queueAudio(this.audio.push(ev.pcm, ev.sampleRateHz));
      case 'audio.end':
        this.queueAudio(this.audio.end());
        return this.queueMark({ type: 'audio.end', turnId: ev.turnId });
      case 'turn.done':
        return this.queueMark({ type: 'turn.done', turnId: ev.turnId, mode: ev.mode, timings: wireTimings(ev.timings) });
    }
  }

  /**
   * New speech or text while an answer is still being delivered cuts it. The engine judges playback by its own
   * clock; the gateway's queue is the truth about what the caller has not heard yet, so it checks too.
   */
  bargeIn(): void {
    if (this.openTurns.size > 0) this.interrupt();
  }

  /** response.cancel or barge-in: stop the engine, drop queued audio, tell the caller which turns were cut. */
  interrupt(): void {
    this.deps.cancelEngine();
    this.interruptOutput(undefined);
  }

  close(): void {
    this.paced.close();
  }

  private interruptOutput(engineTurnId: string | undefined): void {
    this.paced.clear();
    this.audio.reset();
    const turns = new Set(this.openTurns);
    if (engineTurnId !== undefined) turns.add(engineTurnId);
    this.openTurns.clear();
    for (const turnId of turns) {
      if (this.interrupted.includes(turnId)) continue;
      this.interrupted.push(turnId);
      if (this.interrupted.length > REMEMBERED_INTERRUPTS) this.interrupted.shift();
      this.deps.send({ type: 'interrupted', turnId });
    }
    this.deps.onSettled();
  }

  private queueAudio(payloads: Iterable<Uint8Array>): void {
    for (const payload of payloads) {
      if (this.paced.queuedItems >= AUDIO_QUEUE_FRAMES || !this.paced.push({ kind: 'audio', payload }, this.audio.frameMs)) {
        this.droppedAudioFrames++;
      }
    }
  }

  private queueMark(msg: ServerMessage): void {
    this.paced.push({ kind: 'mark', msg }, 0);
  }

  private deliver(item: OutItem): void {
    if (item.kind === 'mark') {
      this.deps.send(item.msg);
      if (item.msg.type === 'turn.done') {
        this.openTurns.delete(item.msg.turnId);
        this.deps.onSettled();
      }
      return;
    }
    const verdict = this.deps.guard.check(this.deps.conn.bufferedBytes, this.deps.now());
    if (verdict === 'disconnect') return this.deps.onSlowConsumer();
    if (verdict === 'drop-audio') {
      this.droppedAudioFrames++;
      return;
    }
    this.deps.conn.sendBinary(encodeAudioFrame(item.payload));
    this.deps.onAudioSent();
    if (this.paced.isIdle) this.deps.onSettled();
  }
}
