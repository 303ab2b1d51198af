// voxgate loadtest: many synthetic callers against a running gateway (server/src/loadtest/ does the work).
// Prints a summary (one JSON object as the last stdout line with --json) and optionally writes a report.
import { UsageError } from './args.ts';
import { LOADTEST_HELP, parseLoadtestArgs, type LoadtestOptions } from '../loadtest/options.ts';
import { ProgressBar } from '../loadtest/progress.ts';
import { writeReport } from '../loadtest/report/write.ts';
import { runLoad, type LoadPlan, type LoadResult } from '../loadtest/run.ts';
import { fetchReadiness } from '../loadtest/server-metrics.ts';
import { llmBatchesInWords, summarize, toJsonSafe, type LoadSummary } from '../loadtest/summary.ts';
import { makeConnector, TransportUnavailable } from '../loadtest/transports.ts';
import { loadUtterances, UtteranceError, type Utterance } from '../loadtest/utterances.ts';

/** The latency a caller should not notice: the report's verdict and the capacity bench use it. */
export const TARGET_TTFA_MS = 500;

export async function runLoadtest(argv: string[]): Promise<number> {
  const opts = parseLoadtestArgs(argv, process.env);
  if (opts === 'help') {
    console.log(LOADTEST_HELP);
    return 0;
  }
  const utterances = await asUsage(() => loadUtterances(opts.utterancesDir, opts.only));
  const connect = await asUsage(() => makeConnector(opts.transport));
  const readiness = await fetchReadiness(opts.url);
  if (!readiness.ready) console.error(`voxgate loadtest: the gateway is not ready (${readiness.detail}); calling anyway`);

  const bar = opts.json ? undefined : new ProgressBar();
  const result = await runLoad(planOf(opts, utterances), { connect, ...(bar ? { onProgress: (p) => bar.update(p) } : {}) });
  bar?.done();
  const summary = summarize(result);
  const reportPath = opts.reportDir === undefined ? undefined : await writeReport(opts.reportDir, result, summary, metaOf(opts, readiness.model));
  if (opts.json) {
    if (reportPath) console.error(`voxgate loadtest: report ${reportPath.html}`);
    console.log(JSON.stringify(toJsonSafe(summary)));
  } else {
    console.log(humanSummary(opts, summary, result, readiness.model, reportPath?.html));
  }
  const clean = summary.errors === 0 && summary.correct === summary.judged && summary.underruns === 0;
  return clean ? 0 : 1;
}

function planOf(o: LoadtestOptions, utterances: Utterance[]): LoadPlan {
  return {
    url: o.url,
    ...(o.token === undefined ? {} : { token: o.token }),
    callers: o.callers,
    rampPerSecond: o.rampPerSecond,
    durationS: o.durationS,
    turns: o.turns,
    transport: o.transport,
    codec: o.codec,
    utterances,
    bargeInShare: o.bargeInShare,
    turnTimeoutMs: o.turnTimeoutMs,
    connectTimeoutMs: 10_000,
    underrunToleranceMs: o.underrunToleranceMs,
    thinkMs: 500,
    seed: o.seed,
    questionOrder: o.order,
    ...(o.metricsUrl === undefined ? {} : { metricsUrl: o.metricsUrl }),
  };
}

function metaOf(o: LoadtestOptions, model: string | null) {
  return {
    url: o.url,
    model,
    targetTtfaMs: TARGET_TTFA_MS,
    settings: {
      callers: o.callers,
      ramp: `${o.rampPerSecond}/s`,
      duration: o.durationS === 0 ? 'one call each' : `${o.durationS} s`,
      turns: o.turns,
      transport: o.transport,
      codec: o.codec,
      'barge-in share': o.bargeInShare,
      seed: o.seed,
    },
  };
}

async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UtteranceError || err instanceof TransportUnavailable) throw new UsageError(err.message);
    throw err;
  }
}

function humanSummary(o: LoadtestOptions, summary: LoadSummary, r: LoadResult, model: string | null, reportHtml: string | undefined): string {
  // Figures that could not be measured (no turn got audio) print as a dash.
  const s = Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? '–' : v])) as unknown as LoadSummary;
  const codes = Object.entries(s.errorsByCode).map(([c, n]) => `${c} ×${n}`).join(', ');
  const lines = [
    `voxgate loadtest: ${s.calls} calls, ${s.turns} turns, up to ${s.peakActiveCallers} callers at once, in ${s.wallS} s against ${o.url}${model ? ` (${model})` : ''}`,
    `  TTFA        p50 ${s.p50TtfaMs} ms   p95 ${s.p95TtfaMs} ms   p99 ${s.p99TtfaMs} ms   max ${s.maxTtfaMs} ms`,
    `  answers     ${s.correct}/${s.judged} right (transcripts ${s.transcriptCorrect}, answers ${s.answerCorrect})`,
    `  errors      ${s.errors}${codes ? `: ${codes}` : ''}   (refused calls ${s.refusedCalls}, failed calls ${s.failedCalls})`,
    `  underruns   ${s.underruns} (${s.underrunMs} ms of silence heard)   gaps over 20 ms + tolerance ${s.gaps}, longest ${s.maxGapMs} ms`,
    `  call setup  p50 ${s.p50SetupMs} ms   p95 ${s.p95SetupMs} ms`,
  ];
  if (s.bargedInTurns > 0) lines.push(`  barge-in    ${s.bargedInTurns} answers cut, p95 ${s.p95BargeInMs} ms to interrupted, ${s.framesAfterInterrupt} frames after it`);
  lines.push(
    r.server.length > 0
      ? `  gateway     CPU mean ${s.serverCpuMeanPercent} %, max ${s.serverCpuMaxPercent} %; RSS max ${s.serverRssMaxMb} MB; event-loop p99 up to ${s.serverEventLoopP99MaxMs} ms`
      : `  gateway     no metrics (${r.serverMetricsProblem ?? 'not sampled'})`,
  );
  if (s.serverLlm !== null) lines.push(`  gateway     ${llmBatchesInWords(s.serverLlm)}`);
  lines.push(`  load gen    event-loop delay p99 ${s.clientEventLoopP99Ms} ms (this process: keep it far below the TTFA figures)`);
  if (reportHtml) lines.push(`  report      ${reportHtml}`);
  return lines.join('\n');
}
