// A load run: `callers` caller slots start `rampPerSecond` apart; each makes calls of `turns` questions back to
// back until `durationS` has passed (one call each when durationS is 0). Meanwhile the gateway's /metrics and
// the number of callers in a call are sampled. Bounded: calls per slot are capped, and the run stops starting
// calls at its deadline; calls in progress end within their turn timeouts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runCall, type CallPlan, type CallEnv } from './caller.ts';
import { Rng } from './rng.ts';
import type { ActivitySample, CallRecord, ServerSample, TurnRecord } from './records.ts';
import { metricsUrlFor, ServerMetricsPoller } from './server-metrics.ts';
import { transportOf, type Connector, type TransportChoice } from './transports.ts';
import type { Utterance } from './utterances.ts';

export interface LoadPlan {
  url: string;
  token?: string;
  callers: number;
  rampPerSecond: number;
  /** 0: each caller makes one call. */
  durationS: number;
  turns: number;
  transport: TransportChoice;
  codec: 'opus' | 'pcm16';
  utterances: Utterance[];
  /** Share of callers that speak over answers (every answer but their call's last). */
  bargeInShare: number;
  turnTimeoutMs: number;
  connectTimeoutMs: number;
  underrunToleranceMs: number;
  thinkMs: number;
  seed: number;
  /** random (seeded, default), or cycle: caller i's call asks utterances i·turns … i·turns + turns − 1 (mod count). */
  questionOrder?: 'random' | 'cycle';
  /** null: do not sample the gateway; undefined: derive from url. */
  metricsUrl?: string | null;
}

export interface LoadProgress {
  elapsedMs: number;
  /** 0..1 */
  fraction: number;
  activeCallers: number;
  calls: number;
  turns: TurnRecord[];
  failedCalls: number;
  server: ServerSample | undefined;
}

export interface LoadResult {
  startedAt: string;
  wallMs: number;
  calls: CallRecord[];
  turns: TurnRecord[];
  server: ServerSample[];
  serverMetricsProblem: string | null;
  /** CPUs of the gateway's host (from /metrics), when sampled. */
  serverCores: number | null;
  /** This process's own event-loop delay, p99 and max (ms): a late load generator inflates every figure. */
  clientEventLoop: { p99Ms: number; maxMs: number };
  activity: ActivitySample[];
}

export interface LoadHooks {
  connect: Connector;
  onProgress?: (p: LoadProgress) => void;
  progressEveryMs?: number;
}

/** A runaway guard: no slot makes more calls than this in one run. */
const MAX_CALLS_PER_SLOT = 10_000;
const ACTIVITY_EVERY_MS = 500;
/** Retry advice is followed, within these bounds. */
const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;
/** Sampling period of the load generator's event-loop delay histogram. */
const LOOP_RESOLUTION_MS = 10;

export function isBarger(callerId: number, share: number): boolean {
  // Spreads exactly round-down(callers × share) bargers evenly over the slots.
  return Math.floor((callerId + 1) * share) > Math.floor(callerId * share);
}

export async function runLoad(plan: LoadPlan, hooks: LoadHooks): Promise<LoadResult> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const startedAt = new Date().toISOString();
  const calls: CallRecord[] = [];
  const turns: TurnRecord[] = [];
  /** Turns as they end, for progress; `turns` gets the final records when each call ends. */
  const liveTurns: TurnRecord[] = [];
  const activity: ActivitySample[] = [];
  const active = { count: 0 };
  const metricsUrl = plan.metricsUrl === undefined ? metricsUrlFor(plan.url) : plan.metricsUrl;
  const poller = metricsUrl === null ? undefined : new ServerMetricsPoller(metricsUrl, now);
  const deadlineMs = plan.durationS * 1000;
  const expectedTurns = plan.callers * plan.turns;

  const env: CallEnv = {
    url: plan.url,
    ...(plan.token === undefined ? {} : { token: plan.token }),
    codec: plan.codec,
    connect: hooks.connect,
    now,
    active,
    turnTimeoutMs: plan.turnTimeoutMs,
    connectTimeoutMs: plan.connectTimeoutMs,
    underrunToleranceMs: plan.underrunToleranceMs,
    onTurnEnded: (t) => liveTurns.push(t),
  };
  const progress = (): LoadProgress => {
    const elapsedMs = now();
    const fraction = deadlineMs > 0 ? elapsedMs / deadlineMs : liveTurns.length / Math.max(1, expectedTurns);
    return {
      elapsedMs,
      fraction: Math.min(1, fraction),
      activeCallers: active.count,
      calls: calls.length + active.count,
      turns: liveTurns,
      failedCalls: calls.filter((c) => c.outcome !== 'completed').length,
      server: poller?.latest,
    };
  };

  // The load generator's own loop: if it runs late, callers speak late and hear late.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  poller?.start();
  const sampler = setInterval(() => {
    activity.push({ atMs: Math.round(now()), activeCallers: active.count });
    hooks.onProgress?.(progress());
  }, hooks.progressEveryMs ?? ACTIVITY_EVERY_MS);

  const slot = async (callerId: number): Promise<void> => {
    const rng = new Rng(plan.seed * 7919 + callerId);
    await sleep((callerId / plan.rampPerSecond) * 1000);
    for (let n = 0; n < MAX_CALLS_PER_SLOT; n++) {
      const result = await runCall(planCall(plan, callerId, n, rng), env);
      calls.push(result.call);
      turns.push(...result.turns);
      if (plan.durationS === 0 || now() >= deadlineMs) return;
      // Refused, or no connection at all (nothing listening, a wrong URL): wait before calling again, rather
      // than redialling as fast as the failures come back.
      if (result.call.outcome === 'refused' || (result.call.outcome === 'failed' && result.call.errorCode === 'TRANSPORT_FAILED' && result.turns.length === 0)) {
        const retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, rng.between(500, 1500)));
        await sleep(Math.min(retryMs, deadlineMs - now()));
        if (now() >= deadlineMs) return;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: plan.callers }, (_, i) => slot(i)));
  } finally {
    clearInterval(sampler);
    loopDelay.disable();
    await poller?.stop();
  }
  const lateMs = (ns: number) => Math.round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) * 10) / 10;
  activity.push({ atMs: Math.round(now()), activeCallers: active.count });
  hooks.onProgress?.(progress());
  return {
    startedAt,
    wallMs: Math.round(now()),
    calls,
    turns: turns.sort((a, b) => a.endOfAudioAtMs - b.endOfAudioAtMs),
    server: poller?.samples ?? [],
    serverMetricsProblem: poller === undefined ? 'not sampled' : poller.samples.length === 0 ? (poller.problem ?? 'no samples') : null,
    serverCores: poller?.cores ?? null,
    clientEventLoop: { p99Ms: lateMs(loopDelay.percentile(99)), maxMs: lateMs(loopDelay.max) },
    activity,
  };
}

/** Questions in the plan's order; bargers cut every answer but the last. */
function planCall(plan: LoadPlan, callerId: number, callIndex: number, rng: Rng): CallPlan {
  const u = plan.utterances;
  const first = (callIndex * plan.callers + callerId) * plan.turns;
  const questions = Array.from({ length: plan.turns }, (_, j) => (plan.questionOrder === 'cycle' ? u[(first + j) % u.length]! : rng.pick(u)));
  const barger = isBarger(callerId, plan.bargeInShare);
  return {
    callerId,
    transport: transportOf(plan.transport, callerId),
    questions,
    bargeInTurns: new Set(barger ? questions.slice(0, -1).map((_, i) => i) : []),
    bargeAfterMs: rng.between(200, 600),
    // Callers do not all pause alike: ±40 % around the plan's pause.
    thinkMs: rng.between(Math.round(plan.thinkMs * 0.6), Math.round(plan.thinkMs * 1.4)),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
