// One synthetic call: connect through the client SDK, then for each planned question stream its audio at real
// time in 20 ms frames, commit, wait for the answer and listen to it, and speak again. A barging caller starts
// its next question while the answer is still playing. Every wait is bounded; the call always ends.
import { VoiceClientError, type ErrorCode } from '../../../client-sdk/src/node/index.ts';
import type { CallRecord, TransportName, TurnRecord } from './records.ts';
import type { CallerClient, Connector } from './transports.ts';
import { TurnProbe } from './turn-probe.ts';
import { TurnRouter } from './turn-router.ts';
import { UTTERANCE_RATE_HZ, type Utterance } from './utterances.ts';

const FRAME_MS = 20;
const FRAME_SAMPLES = (UTTERANCE_RATE_HZ * FRAME_MS) / 1000;
/** Time allowed for the goodbye (session.end → close) before the call is dropped. */
const END_TIMEOUT_MS = 2000;

export interface CallPlan {
  callerId: number;
  transport: TransportName;
  /** One question per turn, in order. */
  questions: Utterance[];
  /** Turn indexes whose answer this caller cuts by asking the next question (never the last turn). */
  bargeInTurns: ReadonlySet<number>;
  /** How long into an answer's audio the caller starts speaking over it. */
  bargeAfterMs: number;
  /** Pause after an answer finished playing before the next question. */
  thinkMs: number;
}

export interface CallEnv {
  url: string;
  token?: string;
  codec: 'opus' | 'pcm16';
  connect: Connector;
  /** The run's clock, ms. */
  now: () => number;
  /** Callers with a call in progress (this call counts itself while connected). */
  active: { count: number };
  /** No answer this long after the end of a question: the turn times out and the call ends. */
  turnTimeoutMs: number;
  connectTimeoutMs: number;
  underrunToleranceMs: number;
  /** A turn ended for the caller (a first record, for progress; the call's result has the final one). */
  onTurnEnded?: (turn: TurnRecord) => void;
}

export interface CallResult {
  call: CallRecord;
  turns: TurnRecord[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Resolves with `p`'s value, or with `fallback` after `ms`. */
function within<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), Math.max(0, ms))));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function runCall(plan: CallPlan, env: CallEnv): Promise<CallResult> {
  const startAtMs = env.now();
  const base = { callerId: plan.callerId, transport: plan.transport, startAtMs: Math.round(startAtMs) };
  let client: CallerClient;
  try {
    client = await env.connect(plan.transport, {
      url: env.url,
      ...(env.token === undefined ? {} : { token: env.token }),
      mode: 'speech-to-speech',
      input: { codec: env.codec, sampleRateHz: UTTERANCE_RATE_HZ },
      output: { codec: env.codec, sampleRateHz: UTTERANCE_RATE_HZ },
      vad: false,
      connectTimeoutMs: env.connectTimeoutMs,
    });
  } catch (err) {
    const code: ErrorCode = err instanceof VoiceClientError ? err.code : 'TRANSPORT_FAILED';
    const refused = code === 'SERVER_FULL' || code === 'NOT_READY' || code === 'SHUTTING_DOWN' || code === 'UNAUTHORIZED';
    const call: CallRecord = {
      ...base,
      outcome: refused ? 'refused' : 'failed',
      setupMs: null,
      durationMs: Math.round(env.now() - startAtMs),
      turns: 0,
      errorCode: code,
      closeCode: null,
      message: err instanceof Error ? err.message : String(err),
    };
    return { call, turns: [] };
  }
  const setupMs = Math.round((env.now() - startAtMs) * 10) / 10;
  env.active.count++;
  try {
    return await converse(client, plan, env, base, setupMs);
  } finally {
    env.active.count--;
  }
}

async function converse(client: CallerClient, plan: CallPlan, env: CallEnv, base: Pick<CallRecord, 'callerId' | 'transport' | 'startAtMs'>, setupMs: number): Promise<CallResult> {
  const router = new TurnRouter();
  let closed: { code: number; errorCode: ErrorCode | undefined; reason: string } | undefined;
  let fatal: { code: ErrorCode; message: string } | undefined;
  for (const type of ['speech.started', 'speech.stopped', 'transcript.delta', 'transcript.final', 'answer.delta', 'answer.final', 'turn.done', 'interrupted'] as const) {
    client.on(type, (msg) => router.event(msg));
  }
  client.on('error', (msg) => {
    if (msg.fatal) fatal ??= { code: msg.code, message: msg.message };
    router.event(msg);
  });
  client.on('audio', (a) => router.audio(a.turnId, (a.pcm.length * 1000) / a.sampleRateHz));
  client.on('close', (info) => {
    closed = { code: info.code, errorCode: info.errorCode, reason: info.reason };
    for (const p of router.probes) p.fail(info.errorCode ?? 'TRANSPORT_FAILED', `connection closed (${info.code}${info.reason ? `: ${info.reason}` : ''})`, 'closed');
  });
  // Listening ends when the last frame has played: the server sends at most outputLeadMs ahead.
  const leadMs = client.session.limits.outputLeadMs;

  let previous: TurnProbe | undefined;
  for (let i = 0; i < plan.questions.length && closed === undefined; i++) {
    const utterance = plan.questions[i]!;
    const probe = new TurnProbe({ callerId: plan.callerId, turnIndex: i, utterance, underrunToleranceMs: env.underrunToleranceMs, now: env.now, textCarried: client.carriesText !== false });
    router.add(probe);
    void probe.ended.then(() => env.onTurnEnded?.(probe.record()));
    probe.speakAtMs = env.now();
    const spoke = await speak(client, utterance.pcm, env.now, () => closed !== undefined);
    if (!spoke) break;
    probe.markEndOfAudio(env.active.count);
    if (previous !== undefined && !previous.isOver) {
      // The barged-in answer must have been cut by now (its interrupted arrives long before our question ends).
      await within(previous.ended, env.turnTimeoutMs, undefined);
      previous.fail('TIMEOUT', 'no interrupted after speaking over the answer');
    }
    previous = probe;
    const bargeIn = plan.bargeInTurns.has(i) && i + 1 < plan.questions.length;
    if (bargeIn && (await waitToBargeIn(probe, plan.bargeAfterMs, env.turnTimeoutMs))) {
      probe.markBargeIn();
      continue;
    }
    const outcome = await within(probe.ended, env.turnTimeoutMs, 'timeout' as const);
    if (outcome === 'timeout') {
      probe.fail('TIMEOUT', `no answer within ${env.turnTimeoutMs} ms of the end of the question`);
      break; // the session's state is unknown: end the call
    }
    if (outcome === 'closed') break;
    // An error for one turn (not fatal) leaves the session usable: the caller asks its next question.
    await sleep(leadMs + plan.thinkMs);
  }
  await within(client.end().catch(() => undefined), END_TIMEOUT_MS, undefined);
  if (closed === undefined) client.close();

  const turns = router.probes.map((p) => p.record());
  const failed = turns.some((t) => t.outcome === 'closed' || t.outcome === 'timeout') || fatal !== undefined;
  const call: CallRecord = {
    ...base,
    outcome: failed ? 'failed' : 'completed',
    setupMs,
    durationMs: Math.round(env.now() - base.startAtMs),
    turns: turns.length,
    errorCode: fatal?.code ?? turns.find((t) => t.outcome === 'closed' || t.outcome === 'timeout')?.error?.code ?? null,
    closeCode: closed?.code ?? null,
    message: fatal?.message ?? turns.find((t) => t.error !== null)?.error?.message ?? null,
  };
  return { call, turns };
}

/**
 * Streams the question at real time: frame k (audio [20k, 20k+20) ms) is sent when it has been "spoken", at
 * start + 20(k+1) ms, scheduled against the start so timer jitter does not accumulate. Then commits.
 * False when the connection closed first.
 */
async function speak(client: CallerClient, pcm: Float32Array, now: () => number, isClosed: () => boolean): Promise<boolean> {
  const t0 = now();
  try {
    for (let k = 0, at = 0; at < pcm.length; k++, at += FRAME_SAMPLES) {
      await sleep(t0 + (k + 1) * FRAME_MS - now());
      if (isClosed()) return false;
      client.sendAudio(pcm.subarray(at, at + FRAME_SAMPLES));
    }
    if (isClosed()) return false;
    client.commit();
    return true;
  } catch {
    return false; // sending on a closed session: the close handler has recorded why
  }
}

/** Waits for the answer's audio, then bargeAfterMs more; true if the answer is still going by then. */
async function waitToBargeIn(probe: TurnProbe, bargeAfterMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  // Poll in frame steps: audio arrival has no promise of its own, and 20 ms is the resolution that matters.
  while (!probe.audioStarted && !probe.isOver && performance.now() < deadline) await sleep(FRAME_MS);
  if (probe.isOver || !probe.audioStarted) return false;
  await within(probe.ended, bargeAfterMs, undefined);
  return !probe.isOver;
}
