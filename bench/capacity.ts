// Capacity: how many callers one gateway holds with the shipped model while p95 TTFA ≤ 500 ms, no answer audio
// underruns and every answer right; in the same run, what the media path costs against the raw codec, what the
// ONNX models block the event loop for, and LLM tokens/s with 16 sequences against 1. Loopback only, bounded.
//   npx tsx bench/capacity.ts [--model DIR] [--steps 1,2,4,...] [--step-seconds 25] [--budget-s 570] [--report DIR]
//                             [--vocoder-inline] [--encoder-inline] [--second-chunk-units N] [--skip-micro] [--skip-batching] [--cpu-prof DIR]
// Last stdout line: one JSON object {callers, p95TtfaMs, mediaOverRawCodec, batch16OverBatch1, ...}.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../server/src/config.ts';
import { TARGET_TTFA_MS } from '../server/src/cli/loadtest.ts';
import { EngineModel } from '../server/src/engine/model.ts';
import { writeReport } from '../server/src/loadtest/report/write.ts';
import { runLoad, type LoadPlan } from '../server/src/loadtest/run.ts';
import { llmBatchesInWords, summarize } from '../server/src/loadtest/summary.ts';
import { makeConnector } from '../server/src/loadtest/transports.ts';
import { loadUtterances, DEFAULT_UTTERANCES_DIR, type Utterance } from '../server/src/loadtest/utterances.ts';
import { DEFAULT_MODEL_DIR } from '../server/src/runtimes/manifest.ts';
import { measureBatching, type BatchingFigures } from './batching.ts';
import { startGateway } from './capacity-gateway.ts';
import { measureOnnxCosts, type OnnxCosts } from './capacity-onnx.ts';
import { callersAtMeasuredCost, measuredMsPerAnswerSecond, physicalEstimate, type PhysicalEstimate } from './capacity-physical.ts';
import { judgeStep, searchCapacity, type SearchResult } from './capacity-steps.ts';
import { measureMediaPath, type MediaPathFigures } from './media-path.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    steps: { type: 'string' },
    'step-seconds': { type: 'string' },
    'budget-s': { type: 'string' },
    report: { type: 'string' },
    'skip-batching': { type: 'boolean' },
    'cpu-prof': { type: 'string' },
    'vocoder-inline': { type: 'boolean' },
    'encoder-inline': { type: 'boolean' },
    'second-chunk-units': { type: 'string' },
    'skip-micro': { type: 'boolean' },
  },
});
const modelDir = values.model ?? DEFAULT_MODEL_DIR;
const steps = (values.steps ?? '1,2,4,6,8,12,16,24,32,40,48').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const stepSeconds = Number(values['step-seconds'] ?? 25);
const budgetMs = Number(values['budget-s'] ?? 570) * 1000;
const t0 = performance.now();
const deadlineMs = t0 + budgetMs;
const say = (line: string) => process.stderr.write(`[${Math.round((performance.now() - t0) / 1000)}s] ${line}\n`);
/**
 * One question per call, calls back to back: the shipped model's answers hold in a fresh conversation, while
 * later turns see earlier ones in their context and the small model's answers drift (a model limit).
 */
const TURNS_PER_CALL = 1;

// 1. The media path alone (no model): the gateway's codec code against the raw codec calls.
// 2. Per-caller ONNX cost (blocking the event loop), then LLM batching, on the model loaded here.
// (--skip-micro leaves both out: the A/B run of --vocoder-inline needs only the steps.)
let media16: MediaPathFigures | undefined;
let media48: MediaPathFigures | undefined;
let onnx: OnnxCosts | undefined;
let batching: BatchingFigures | undefined;
if (!values['skip-micro']) {
  media16 = await measureMediaPath({ streams: 16, seconds: 8, outputRateHz: 16000 });
  media48 = await measureMediaPath({ streams: 16, seconds: 8, outputRateHz: 48000 });
  say(`media path: ${media16.gatewayUsPerCallSecond} µs per call-second vs raw codec ${media16.rawCodecUsPerCallSecond} µs → ${media16.mediaOverRawCodec}× (48 kHz out: ${media48.mediaOverRawCodec}×)`);

  // Each model's own run time, inline: a worker's VAD frame would also time its wait (up to 8 ms) to share a run.
  const model = await EngineModel.load(modelDir, { sequences: 1, vadThread: 'inline' });
  onnx = await measureOnnxCosts(model);
  await model.close();
  say(
    `ONNX on the event loop: unit window ${onnx.unitWindowMs} ms (${onnx.unitMsPerSpeechSecond} ms per s of speech), VAD frame ${onnx.vadFrameMs} ms ` +
      `(${onnx.vadMsPerAudioSecond} ms per s), vocoder first chunk ${onnx.vocoderFirstChunkMs} ms, chunk ${onnx.vocoderChunkMs} ms ` +
      `(${onnx.vocoderMsPerAnswerSecond} ms per s of answer), longest run ${onnx.longestRunMs} ms`,
  );
  if (!values['skip-batching']) {
    batching = await measureBatching({ modelDir, sequences: 16, tokens: 96, rounds: 2 });
    say(
      `LLM: 1 sequence ${batching.loops1TokensPerS} tok/s; 16 evaluate() loops ${batching.loopsNTokensPerS} tok/s → ${batching.batch16OverBatch1}× ` +
        `(${batching.loopsNMeanBatchTokens} tokens per decode); 16 in lockstep ${batching.lockstepNTokensPerS} tok/s → ${batching.lockstepOverBatch1}×; ` +
        `prefill ${batching.prefillUsPerToken} µs/token`,
    );
  }
}

// 3. The gateway in its own process; calibration, then the step search.
const gateway = await startGateway({
  modelDir,
  maxSessions: Math.max(64, ...steps),
  vocoderInline: values['vocoder-inline'] === true,
  encoderInline: values['encoder-inline'] === true,
  ...(values['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] } : {}),
});
const prototypes = [
  values['vocoder-inline'] ? 'vocoding inline on the event loop' : '',
  values['encoder-inline'] ? 'unit encoding inline on the event loop' : '',
  values['second-chunk-units'] ? `a second vocoder chunk of ${values['second-chunk-units']} units` : '',
]
  .filter((p) => p !== '')
  .join(', ');
say(`gateway ready at ${gateway.voiceUrl}${prototypes ? ` (A/B: ${prototypes})` : ''}`);
const connect = await makeConnector('ws');
const all = await loadUtterances(DEFAULT_UTTERANCES_DIR);
const base: Omit<LoadPlan, 'callers' | 'utterances' | 'turns' | 'durationS' | 'rampPerSecond'> = {
  url: gateway.voiceUrl,
  transport: 'ws',
  codec: 'opus',
  bargeInShare: 0,
  turnTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  underrunToleranceMs: 30,
  thinkMs: 500,
  seed: 1,
};

let search: Omit<SearchResult, 'stoppedBy'> & { stoppedBy: string } = { capacity: 0, latencyCapacity: 0, steps: [], stoppedBy: 'failure' };
let reliable: Utterance[] = all;
let excluded: string[] = [];
let physical: PhysicalEstimate | null = null;
/** Per step: the gateway's CPU ms per second of answer it delivered (its measured cost beside the estimate's). */
const stepCpu = new Map<number, number | null>();
/** Per step: the load tester's own CPU (this process), % of one core, and the callers the estimate gives at the step's measured costs. */
const stepLoadTester = new Map<number, { cpuPercent: number; callersAtMeasuredCost: number | null }>();
try {
  // Calibration: every question once, in one-turn calls (greedy decoding answers the same at any load, which
  // the steps then check). A question the model answers wrong here is the model's limit, not the gateway's: it
  // is left out of the search, and named in the result.
  const calibration = await runLoad(
    { ...base, callers: all.length, turns: 1, durationS: 0, rampPerSecond: 2, utterances: all, questionOrder: 'cycle' },
    { connect },
  );
  const right = new Set(calibration.turns.filter((t) => t.outcome === 'done' && t.transcriptOk && t.answerOk).map((t) => t.utteranceId));
  reliable = all.filter((u) => right.has(u.id));
  excluded = all.filter((u) => !right.has(u.id)).map((u) => u.id);
  say(`calibration: ${reliable.length}/${all.length} questions answered right${excluded.length ? `; left out: ${excluded.join(', ')}` : ''}`);
  if (onnx && batching && media16) {
    physical = physicalEstimate({
      onnx,
      batching,
      media: media16,
      turns: calibration.turns.filter((t) => right.has(t.utteranceId)),
      utterances: reliable,
      cores: availableParallelism(),
      thinkMs: base.thinkMs,
      leadMs: defaultConfig().outputLeadMs,
      // The load tester's callers commit each question themselves (server/src/loadtest/caller.ts, vad: false).
      serverVad: false,
    });
    if (physical) {
      const c = physical.msPerAnswerSecond;
      say(
        `CPU ms per second of answer: unit encoder ${c.unitEncoder}, VAD ${c.vad}, prefill ${c.prefill}, decode ${c.decode} (unbatched ${physical.decodeUnbatchedMsPerAnswerSecond}), ` +
          `vocoder ${c.vocoder}, Opus ${c.opus} → ${physical.totalMsPerAnswerSecond} ms: ${physical.cores} cores stream ${physical.answersAtOnce} answers at once; ` +
          `answers play ${Math.round(physical.answerShare * 100)} % of a call → physical estimate ${physical.callers} callers`,
      );
    }
  }
  const stepMs = (stepSeconds + 20) * 1000;
  search = reliable.length === 0 ? { capacity: 0, latencyCapacity: 0, steps: [], stoppedBy: 'no question answered right' } : await searchCapacity(
    steps,
    async (callers) => {
      const cpu0 = process.cpuUsage();
      const result = await runLoad(
        { ...base, callers, turns: TURNS_PER_CALL, durationS: stepSeconds, rampPerSecond: Math.max(1, callers / 5), utterances: reliable },
        { connect },
      );
      const cpu = process.cpuUsage(cpu0);
      const summary = summarize(result);
      const gatewayMs = measuredMsPerAnswerSecond(summary.serverCpuMeanPercent, result.wallMs, result.turns);
      stepCpu.set(callers, gatewayMs);
      const loadTesterCpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / result.wallMs) * 1000) / 10;
      stepLoadTester.set(callers, {
        cpuPercent: loadTesterCpuPercent,
        callersAtMeasuredCost:
          physical && gatewayMs !== null
            ? callersAtMeasuredCost({ cores: physical.cores, loadTesterCpuPercent, gatewayMsPerAnswerSecond: gatewayMs, answerShare: physical.answerShare })
            : null,
      });
      if (values.report) {
        await writeReport(`${values.report}/callers-${callers}`, result, summary, {
          url: gateway.voiceUrl,
          model: null,
          targetTtfaMs: TARGET_TTFA_MS,
          settings: { callers, ramp: `${Math.max(1, callers / 5)}/s`, duration: `${stepSeconds} s`, turns: TURNS_PER_CALL, transport: 'ws', codec: 'opus', questions: reliable.length },
        });
      }
      return judgeStep(callers, result, summary, TARGET_TTFA_MS);
    },
    { deadlineMs: deadlineMs - 15_000, stepMs },
    (r) =>
      say(
        `${String(r.callers).padStart(3)} callers: ${r.pass ? 'holds' : r.holdsLatency ? 'holds on latency' : 'FAILS'}  p50/p95/p99 TTFA ${r.summary.p50TtfaMs}/${r.summary.p95TtfaMs}/${r.summary.p99TtfaMs} ms ` +
          `(engine p95 ${r.engineTtfaP95Ms}: prefill tail ${r.prefillTailP95Ms}, first answer text ${r.firstAnswerP95Ms}, LLM ms per token p50/p95 ${r.decodeMsPerTokenP50}/${r.decodeMsPerTokenP95}; outside engine p95 ${r.outsideEngineP95Ms}), ` +
          `right ${r.summary.correct}/${r.summary.judged}, underruns ${r.summary.underruns} (${r.summary.underrunMs} ms heard; gaps ${r.summary.gaps}, longest ${r.summary.maxGapMs} ms; chunks cut early ${r.earlyChunks}), ` +
          `errors ${r.summary.errors}, engine TTFA floor p95 ${r.floorP95Ms} ms, gateway ${stepCpu.get(r.callers) ?? '?'} CPU ms per s of answer, gateway CPU ${r.summary.serverCpuMeanPercent}% mean / ${r.summary.serverCpuMaxPercent}% max, loop p99 ≤ ${r.summary.serverEventLoopP99MaxMs} ms, ` +
          `load tester CPU ${stepLoadTester.get(r.callers)?.cpuPercent ?? '?'}% (at these measured costs the cores hold ${stepLoadTester.get(r.callers)?.callersAtMeasuredCost ?? '?'} callers), ` +
          `${llmBatchesInWords(r.summary.serverLlm)}` +
          (r.pass ? '' : `  ← ${r.why.join('; ')}`),
      ),
  );
} finally {
  await gateway.stop();
}

const held = search.steps.find((s) => s.callers === search.capacity);
const heldLatency = search.steps.find((s) => s.callers === search.latencyCapacity);
const firstFail = search.steps.find((s) => !s.pass);
const heldAtCost = held ? stepLoadTester.get(held.callers)?.callersAtMeasuredCost : undefined;
say(
  `capacity: ${search.capacity} callers with every condition, ${search.latencyCapacity} on latency, answers and errors alone ` +
    `(stopped by ${search.stoppedBy}) in ${Math.round((performance.now() - t0) / 1000)} s` +
    (physical ? `; physical estimate ${physical.callers} callers (measured/physical ${physical.callers > 0 ? Math.round((search.capacity / physical.callers) * 100) / 100 : '-'})` : '') +
    (heldAtCost ? `; at the held step's measured costs ${heldAtCost} callers (measured/that ${Math.round((search.capacity / heldAtCost) * 100) / 100})` : ''),
);
const summaryJson = {
  callers: search.capacity,
  p95TtfaMs: held?.summary.p95TtfaMs ?? null,
  p50TtfaMs: held?.summary.p50TtfaMs ?? null,
  p99TtfaMs: held?.summary.p99TtfaMs ?? null,
  /** Callers held with p95 TTFA, answers and errors within bounds, underruns aside. */
  latencyCallers: search.latencyCapacity,
  latencyP95TtfaMs: heldLatency?.summary.p95TtfaMs ?? null,
  mediaOverRawCodec: media16?.mediaOverRawCodec ?? null,
  mediaOverRawCodec48k: media48?.mediaOverRawCodec ?? null,
  mediaUsPerCallSecond: media16?.gatewayUsPerCallSecond ?? null,
  batch16OverBatch1: batching?.batch16OverBatch1 ?? null,
  lockstep16OverBatch1: batching?.lockstepOverBatch1 ?? null,
  tokensPerS1: batching?.loops1TokensPerS ?? null,
  tokensPerS16: batching?.loopsNTokensPerS ?? null,
  onnx: onnx ?? null,
  /** CPU ms per second of answer by stage, and the callers this machine's compute could hold from them. */
  physical,
  physicalCallers: physical?.callers ?? null,
  /** Measured capacity over the physical estimate (the issue's bar: ≥ 0.7). */
  capacityOverPhysical: physical && physical.callers > 0 ? Math.round((search.capacity / physical.callers) * 100) / 100 : null,
  latencyCapacityOverPhysical: physical && physical.callers > 0 ? Math.round((search.latencyCapacity / physical.callers) * 100) / 100 : null,
  /** The estimate at the held step's own measured costs, and the capacity over it. */
  callersAtMeasuredCost: heldAtCost ?? null,
  capacityOverMeasuredCost: heldAtCost ? Math.round((search.capacity / heldAtCost) * 100) / 100 : null,
  vocoderInWorker: values['vocoder-inline'] !== true,
  encoderInWorker: values['encoder-inline'] !== true,
  secondChunkUnits: values['second-chunk-units'] ? Number(values['second-chunk-units']) : null,
  firstFailure: firstFail ? { callers: firstFail.callers, why: firstFail.why, p95TtfaMs: firstFail.summary.p95TtfaMs } : null,
  stoppedBy: search.stoppedBy,
  questions: reliable.length,
  excludedQuestions: excluded,
  steps: search.steps.map((s) => ({
    callers: s.callers,
    pass: s.pass,
    holdsLatency: s.holdsLatency,
    p50TtfaMs: s.summary.p50TtfaMs,
    p95TtfaMs: s.summary.p95TtfaMs,
    p99TtfaMs: s.summary.p99TtfaMs,
    engineTtfaP95Ms: s.engineTtfaP95Ms,
    engineTtfaFloorP95Ms: s.floorP95Ms,
    gatewayCpuMsPerAnswerSecond: stepCpu.get(s.callers) ?? null,
    outsideEngineP95Ms: s.outsideEngineP95Ms,
    prefillTailP95Ms: s.prefillTailP95Ms,
    firstAnswerP95Ms: s.firstAnswerP95Ms,
    decodeMsPerTokenP50: s.decodeMsPerTokenP50,
    decodeMsPerTokenP95: s.decodeMsPerTokenP95,
    turns: s.summary.turns,
    correct: s.summary.correct,
    judged: s.summary.judged,
    underruns: s.summary.underruns,
    underrunMs: s.summary.underrunMs,
    earlyChunks: s.earlyChunks,
    gaps: s.summary.gaps,
    maxGapMs: s.summary.maxGapMs,
    errors: s.summary.errors,
    serverCpuMeanPercent: s.summary.serverCpuMeanPercent,
    serverEventLoopP99MaxMs: s.summary.serverEventLoopP99MaxMs,
    /** The gateway's LLM batches: per second, tokens in each, and each phase's time, ms (null where not reported). */
    serverLlm: s.summary.serverLlm,
    loadTesterCpuPercent: stepLoadTester.get(s.callers)?.cpuPercent ?? null,
    /** The physical estimate at this step's measured gateway cost, on the cores the load tester left. */
    callersAtMeasuredCost: stepLoadTester.get(s.callers)?.callersAtMeasuredCost ?? null,
  })),
  wallS: Math.round((performance.now() - t0) / 1000),
};
process.stdout.write(`${JSON.stringify(summaryJson)}\n`);
