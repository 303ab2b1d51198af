// Engine events → protocol messages. The wire has its own types so the engine's internals cannot leak onto it;
// the compile-time check below fails if the engine's modes and the protocol's drift apart.
import type { Mode as WireMode, ServerMessage, TurnTimings as WireTimings } from '../../../client-sdk/src/protocol/index.ts';
import type { EngineEvent, Mode as EngineMode, TurnTimings } from '../engine/types.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const modesMatch: Same<EngineMode, WireMode> = true;
void modesMatch;

/** Events sent as soon as the engine emits them (text runs ahead of paced audio, as subtitles do). */
export function immediateMessage(ev: EngineEvent): ServerMessage | undefined {
  switch (ev.type) {
    case 'speech.started':
    case 'speech.stopped':
      return { type: ev.type, turnId: ev.turnId };
    case 'transcript.delta':
    case 'transcript.final':
    case 'answer.delta':
    case 'answer.final':
      return { type: ev.type, turnId: ev.turnId, text: ev.text };
    default:
      return undefined;
  }
}

export function wireTimings(t: TurnTimings): WireTimings {
  const out: WireTimings = {
    endOfInputMs: t.endOfInputMs,
    totalMs: t.totalMs,
    inputUnits: t.inputUnits,
    outputTextTokens: t.outputTextTokens,
    outputUnits: t.outputUnits,
    audioMs: t.audioMs,
  };
  if (t.firstTranscriptMs !== undefined) out.firstTranscriptMs = t.firstTranscriptMs;
  if (t.firstAnswerMs !== undefined) out.firstAnswerMs = t.firstAnswerMs;
  if (t.ttfaMs !== undefined) out.ttfaMs = t.ttfaMs;
  if (t.firstAudioReadyMs !== undefined) out.firstAudioReadyMs = t.firstAudioReadyMs;
  if (t.prefillTailMs !== undefined) out.prefillTailMs = t.prefillTailMs;
  if (t.decodeMsPerToken !== undefined) out.decodeMsPerToken = t.decodeMsPerToken;
  if (t.outputUnitTokens !== undefined) out.outputUnitTokens = t.outputUnitTokens;
  if (t.earlyChunks !== undefined) out.earlyChunks = t.earlyChunks;
  return out;
}
