// One node against the fleet, same callers and time: the load tester's callers at one node directly, then through
// nginx to all nodes. What each admits and answers: calls refused for want of a slot, turns answered per minute,
// time to first audio. On one machine the nodes share its cores, so this shows admission capacity and how the
// CPU is shared, not the gain separate machines would bring.
import { runLoad, type LoadPlan } from '../run.ts';
import { percentile } from '../stats.ts';
import { makeConnector } from '../transports.ts';
import type { Utterance } from '../utterances.ts';

export interface CapacityFigures {
  callers: number;
  seconds: number;
  calls: number;
  refusedCalls: number;
  /** Refusals by error code, as the gateway named them (SERVER_FULL from a full node, SHUTTING_DOWN from a draining one). */
  refusedBy: Record<string, number>;
  turnsDone: number;
  turnsPerMinute: number;
  ttfaP50Ms: number;
  ttfaP95Ms: number;
}

/** The fleet runs' callers: WebSocket, PCM, two questions a call, talking back to back, no barge-in. */
export function fleetLoadPlan(url: string, utterances: Utterance[], callers: number, seconds: number, seed: number): LoadPlan {
  return {
    url,
    callers,
    rampPerSecond: 4,
    durationS: seconds,
    turns: 2,
    transport: 'ws',
    codec: 'pcm16',
    utterances,
    bargeInShare: 0,
    turnTimeoutMs: 30_000,
    connectTimeoutMs: 10_000,
    underrunToleranceMs: 1_000,
    thinkMs: 300,
    seed,
    metricsUrl: null,
  };
}

export async function capacityAt(url: string, utterances: Utterance[], callers: number, seconds: number): Promise<CapacityFigures> {
  const result = await runLoad(fleetLoadPlan(url, utterances, callers, seconds, 12), { connect: await makeConnector('ws') });
  const done = result.turns.filter((t) => t.outcome === 'done');
  const refusedBy: Record<string, number> = {};
  for (const c of result.calls) if (c.outcome === 'refused') refusedBy[c.errorCode ?? 'unknown'] = (refusedBy[c.errorCode ?? 'unknown'] ?? 0) + 1;
  const ttfa = done.map((t) => t.ttfaMs).filter((v): v is number => v !== null);
  return {
    callers,
    seconds,
    calls: result.calls.length,
    refusedCalls: result.calls.filter((c) => c.outcome === 'refused').length,
    refusedBy,
    turnsDone: done.length,
    turnsPerMinute: Math.round((done.length / (result.wallMs / 60_000)) * 10) / 10,
    ttfaP50Ms: Math.round(percentile(ttfa, 50)),
    ttfaP95Ms: Math.round(percentile(ttfa, 95)),
  };
}
