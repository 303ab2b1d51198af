// One session's outbound side: engine events → typed events and paced audio frames for the port, and the
// session's Playout: what the caller has heard is the pacer's position, or the port's acknowledgements where the
// far end sends them (phone marks). Audio, audio.start/end and turn.done share the paced queue, so each mark
// reaches the caller right after the audio it belongs to; text events go at once.
import type { AudioCodec, SampleRateHz, ServerMessage } from '../../../client-sdk/src/protocol/index.ts';
import type { EngineEvent, Playout } from '../engine/types.ts';
import type { MediaPort } from '../transport/media-port.ts';
import { OutputAudio, type OutputAudioFormat } from './audio-out.ts';
import type { SendBufferGuard } from './backpressure.ts';
import { PacedOutput } from './paced-output.ts';
import { immediateMessage, wireTimings } from './wire-events.ts';

/** Five minutes of 20 ms frames: far above any answer the model may produce, and still a bound. */
const AUDIO_QUEUE_FRAMES = 15_000;
/** Room kept for marks, so a full audio queue can never lose an audio.end or turn.done. */
const MARK_HEADROOM = 256;
/** Interrupted turns remembered, to drop their late audio and not announce them twice. */
const REMEMBERED_INTERRUPTS = 16;

type OutItem = { kind: 'audio'; turnId: string; payload: Uint8Array } | { kind: 'mark'; msg: ServerMessage };

export interface CallOutputDeps {
  port: MediaPort;
  format: OutputAudioFormat;
  leadMs: number;
  guard: SendBufferGuard;
  now: () => number;
  /** Sends a text event now (the call tracks activity and buffer limits). */
  send: (msg: ServerMessage) => void;
  /** The send buffer crossed the disconnect threshold. */
  onSlowConsumer: () => void;
  /** Something changed that may end a drain. */
  onSettled: () => void;
  /** Audio went out: the call is not idle. */
  onAudioSent: () => void;
}

export class CallOutput implements Playout {
  droppedAudioFrames = 0;
  private readonly audio: OutputAudio;
  private readonly paced: PacedOutput<OutItem>;
  /** Turns with output the caller has not fully received (from speech.stopped until turn.done is delivered). */
  private readonly openTurns = new Set<string>();
  private readonly interrupted: string[] = [];
  /** A text turn or commit was sent and the engine has not answered it yet. */
  private expectingTurn = false;
  /** The turn whose audio went out last, and how much of it went out. */
  private lastAudio: { turnId: string; sentMs: number } | undefined;

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
        // Not a turn with output yet: barge-in is the engine's call (it asks playing()), announced by `interrupted`.
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
        // Protocol formats on voxgate's ports; phone ports, the only ones with G.711, do not forward audio.start.
        return this.queueMark({ type: 'audio.start', turnId: ev.turnId, codec: codec as AudioCodec, sampleRateHz: sampleRateHz as SampleRateHz, frameMs });
      }
      case 'audio.chunk':
        return this.queueAudio(ev.turnId, this.audio.push(ev.pcm, ev.sampleRateHz));
      case 'audio.end':
        this.queueAudio(ev.turnId, this.audio.end());
        return this.queueMark({ type: 'audio.end', turnId: ev.turnId });
      case 'turn.done':
        return this.queueMark({ type: 'turn.done', turnId: ev.turnId, mode: ev.mode, timings: wireTimings(ev.timings) });
    }
  }

  /** Playout: audio of the turn the caller has heard, ms. */
  heardMs(turnId: string): number {
    const port = this.deps.port.playout;
    if (port !== undefined) return port.heardMs(turnId);
    const last = this.lastAudio;
    // Sent audio plays at real time; what runs ahead of now (at most the lead) is not heard yet.
    return last?.turnId === turnId ? Math.max(0, last.sentMs - this.paced.aheadMs()) : 0;
  }

  /** Playout: the turn's audio is queued here, or still playing at the caller. */
  playing(turnId: string): boolean {
    if (this.openTurns.has(turnId)) return true;
    const port = this.deps.port.playout;
    if (port !== undefined) return port.playing(turnId);
    return this.lastAudio?.turnId === turnId && this.paced.aheadMs() > 0;
  }

  close(): void {
    this.paced.close();
  }

  /** The engine cut an answer: drop queued audio, tell the caller which turns were cut. */
  private interruptOutput(engineTurnId: string): void {
    this.paced.clear();
    this.audio.reset();
    const turns = new Set(this.openTurns);
    turns.add(engineTurnId);
    this.openTurns.clear();
    for (const turnId of turns) {
      if (this.interrupted.includes(turnId)) continue;
      this.interrupted.push(turnId);
      if (this.interrupted.length > REMEMBERED_INTERRUPTS) this.interrupted.shift();
      this.deps.send({ type: 'interrupted', turnId });
    }
    this.deps.onSettled();
  }

  private queueAudio(turnId: string, payloads: Iterable<Uint8Array>): void {
    for (const payload of payloads) {
      if (this.paced.queuedItems >= AUDIO_QUEUE_FRAMES || !this.paced.push({ kind: 'audio', turnId, payload }, this.audio.frameMs)) {
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
    const verdict = this.deps.guard.check(this.deps.port.bufferedBytes, this.deps.now());
    if (verdict === 'disconnect') return this.deps.onSlowConsumer();
    if (verdict === 'drop-audio') {
      this.droppedAudioFrames++;
      return;
    }
    this.deps.port.sendAudio(item.payload, item.turnId, this.audio.frameMs);
    if (this.lastAudio?.turnId !== item.turnId) this.lastAudio = { turnId: item.turnId, sentMs: 0 };
    this.lastAudio.sentMs += this.audio.frameMs;
    this.deps.onAudioSent();
    if (this.paced.isIdle) this.deps.onSettled();
  }
}
