// GET /metrics as Prometheus text (prom-client): voxgate_ metrics in base units, labelled by transport, outcome,
// stage or code and never by call, beside prom-client's default process metrics. One registry per server, so
// several servers in one process (tests) do not share counts.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TurnTimings } from '../engine/types.ts';
import type { LlmBatchTotals } from '../runtimes/lm-sample-gate.ts';
import type { ErrorCode } from '../errors.ts';
import type { CallClosedInfo } from '../gateway/call.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { CallObserver, TurnOutcome } from '../gateway/observer.ts';

/** Seconds: from 50 ms (a warm text answer) to 20 s (a long answer's total on a loaded machine). */
const LATENCY_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20];

/** Seconds: a release is one decode step or so (milliseconds), a vocoder chunk at worst. */
const RELEASE_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Seconds: one generated token, from a lone caller's (a millisecond or two) to a loaded node's tail. */
const TOKEN_BUCKETS_S = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05];

/** The stage timings a turn measures (TurnTimings), by their metric label. */
const STAGES: [string, keyof TurnTimings][] = [
  ['first_transcript', 'firstTranscriptMs'],
  ['first_answer', 'firstAnswerMs'],
  ['prefill_tail', 'prefillTailMs'],
  ['total', 'totalMs'],
];

/** What the engine can say about its shared resources, when it can. */
export interface EngineGauges {
  llmSequencesInUse(): number | undefined;
  vocoderQueueDepth(): number | undefined;
  /** The LLM's batches since start-up (cumulative), where its runtime times them. */
  llmBatches(): LlmBatchTotals | null;
}

/** Cluster mode's readings (fleet/fleet-node.ts). */
export interface FleetGauges {
  readonly redisState: string;
  readonly fleetCalls: number | undefined;
  readonly counts: { fleet: number; refused: number; local: number };
}

export class PrometheusMetrics implements CallObserver {
  readonly registry = new Registry();
  private readonly calls: Counter<'transport' | 'outcome'>;
  private readonly turns: Counter<'transport' | 'outcome'>;
  private readonly ttfa: Histogram<'transport'>;
  private readonly stages: Histogram<'transport' | 'stage'>;
  private readonly errors: Counter<'code'>;
  private readonly droppedFrames: Counter;
  private readonly slowConsumerCloses: Counter;
  private readonly releases: Histogram;
  private readonly tokenPace: Histogram;
  private readonly earlyChunks: Counter;

  constructor(gateway: () => Gateway | undefined, engine: EngineGauges, fleet?: FleetGauges) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const stat = (pick: (s: ReturnType<Gateway['stats']>) => number) => () => {
      const g = gateway();
      return g === undefined ? 0 : pick(g.stats());
    };
    new Gauge({ name: 'voxgate_sessions_active', help: 'Sessions held (session.start to hang-up)', registers, collect: setFrom(stat((s) => s.sessions)) });
    new Gauge({ name: 'voxgate_connections_pending', help: 'Connections that have not started a session', registers, collect: setFrom(stat((s) => s.pending)) });
    new Gauge({ name: 'voxgate_llm_sequences_in_use', help: 'LLM sequences held, closing sessions included', registers, collect: setFrom(() => engine.llmSequencesInUse() ?? 0) });
    new Gauge({ name: 'voxgate_vocoder_queue_depth', help: 'Vocoder requests queued or running', registers, collect: setFrom(() => engine.vocoderQueueDepth() ?? 0) });
    // The LLM's batches: decode and sampling time per batch against a token's pace tells a slow LLM from one
    // waiting on the process (the hops between them).
    const batches = (pick: (t: LlmBatchTotals) => number) => () => {
      const t = engine.llmBatches();
      return t === null ? 0 : pick(t);
    };
    new Counter({ name: 'voxgate_llm_batches_total', help: 'LLM batches decoded', registers, collect: countFrom(batches((t) => t.batches)) });
    new Counter({ name: 'voxgate_llm_tokens_sampled_total', help: 'Tokens sampled from LLM batches (one per generating sequence in a batch)', registers, collect: countFrom(batches((t) => t.samplings)) });
    new Counter({
      name: 'voxgate_llm_batch_decode_seconds_total',
      help: "LLM batches' decode, from the call to its result on the event loop (waiting for a thread included)",
      registers,
      collect: countFrom(batches((t) => t.decodeMs / 1000)),
    });
    new Counter({
      name: 'voxgate_llm_batch_sampling_seconds_total',
      help: "LLM batches' sampling, from the first sampling's call to the last one's result on the event loop",
      registers,
      collect: countFrom(batches((t) => t.samplingMs / 1000)),
    });
    this.calls = new Counter({ name: 'voxgate_calls_total', help: 'Calls ended, by transport and outcome (completed, hung_up, error, refused)', labelNames: ['transport', 'outcome'], registers });
    this.turns = new Counter({ name: 'voxgate_turns_total', help: 'Turns ended, by transport and outcome (done, interrupted, error)', labelNames: ['transport', 'outcome'], registers });
    this.ttfa = new Histogram({
      name: 'voxgate_time_to_first_audio_seconds',
      help: "End of the caller's turn to the answer's first audio, engine side",
      labelNames: ['transport'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.stages = new Histogram({
      name: 'voxgate_turn_stage_seconds',
      help: "End of the caller's turn to each stage of the answer (first_transcript, first_answer, prefill_tail, total)",
      labelNames: ['transport', 'stage'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.errors = new Counter({ name: 'voxgate_errors_total', help: 'Error events sent to callers, by code', labelNames: ['code'], registers });
    this.droppedFrames = new Counter({ name: 'voxgate_audio_frames_dropped_total', help: 'Output audio frames dropped for a full send buffer', registers });
    this.releases = new Histogram({
      name: 'voxgate_session_release_seconds',
      help: "A closed session (hang-up, end, error) to its LLM sequence free again: its generation stopping",
      buckets: RELEASE_BUCKETS_S,
      registers,
    });
    this.tokenPace = new Histogram({
      name: 'voxgate_llm_token_seconds',
      help: "Each answer's mean time per generated token after its first: the LLM's pace at this node's load",
      buckets: TOKEN_BUCKETS_S,
      registers,
    });
    this.earlyChunks = new Counter({
      name: 'voxgate_audio_chunks_cut_early_total',
      help: "Answer audio chunks vocoded before their full size because the caller's playout would have run dry",
      registers,
    });
    this.slowConsumerCloses = new Counter({ name: 'voxgate_slow_consumer_closes_total', help: 'Calls closed because the caller stopped reading', registers });
    if (fleet !== undefined) registerFleetMetrics(fleet, registers);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  callEnded(info: CallClosedInfo, admitted: boolean): void {
    const outcome = !admitted ? 'refused' : info.hungUp ? 'hung_up' : info.errorCode === undefined ? 'completed' : 'error';
    this.calls.inc({ transport: info.transport, outcome });
    if (info.droppedAudioFrames > 0) this.droppedFrames.inc(info.droppedAudioFrames);
    if (info.errorCode === 'SLOW_CONSUMER') this.slowConsumerCloses.inc();
  }

  turnEnded(transport: string, outcome: TurnOutcome, timings?: TurnTimings): void {
    this.turns.inc({ transport, outcome });
    if (timings === undefined) return;
    if (timings.ttfaMs !== undefined) this.ttfa.observe({ transport }, timings.ttfaMs / 1000);
    if (timings.decodeMsPerToken !== undefined) this.tokenPace.observe(timings.decodeMsPerToken / 1000);
    if (timings.earlyChunks) this.earlyChunks.inc(timings.earlyChunks);
    for (const [stage, key] of STAGES) {
      const ms = timings[key];
      if (typeof ms === 'number') this.stages.observe({ transport, stage }, ms / 1000);
    }
  }

  sessionReleased(releaseMs: number): void {
    this.releases.observe(releaseMs / 1000);
  }

  errorSent(code: ErrorCode): void {
    this.errors.inc({ code });
  }
}

/** Cluster mode only: whether Redis answers (0: this node admits on its own caps), the fleet's calls, claims by result. */
function registerFleetMetrics(fleet: FleetGauges, registers: Registry[]): void {
  new Gauge({ name: 'voxgate_fleet_redis_up', help: 'Redis reachable: 1 admits on fleet caps, 0 on this node\'s own caps', registers, collect: setFrom(() => (fleet.redisState === 'up' ? 1 : 0)) });
  new Gauge({ name: 'voxgate_fleet_calls', help: 'Calls the whole fleet held at the last heartbeat', registers, collect: setFrom(() => fleet.fleetCalls ?? 0) });
  new Gauge({
    name: 'voxgate_fleet_claims',
    help: 'Session claims since start, by result: fleet (admitted by Redis), refused (fleet or token cap), local (Redis away: own caps)',
    labelNames: ['result'],
    registers,
    collect(this: Gauge<'result'>) {
      for (const [result, n] of Object.entries(fleet.counts)) this.set({ result }, n);
    },
  });
}

/** A counter's collect callback that reads it from a cumulative total the engine keeps (it only grows). */
function countFrom(read: () => number): (this: Counter) => void {
  return function (this: Counter) {
    this.reset();
    this.inc(read());
  };
}

/** A gauge's collect callback that sets it from a reading. */
function setFrom(read: () => number): (this: Gauge) => void {
  return function (this: Gauge) {
    this.set(read());
  };
}
