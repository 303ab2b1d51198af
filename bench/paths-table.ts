// bench:paths' arithmetic: the JSON last lines of bench/hearing.ts, ttfa.ts, lm-runtimes.ts and capacity.ts, taken
// apart per path and set side by side as one markdown table and one summary object. Pure (no I/O), so it is tested.

/** One condition of bench/hearing.ts's report. */
export interface HearingCondition {
  wer: number;
  wordErrors: number;
  words: number;
  answersRight: number;
  answersAsked: number;
  utterances: number;
  failed: number;
  /** Failed turns by error code. */
  failures: Record<string, number>;
}

export interface RightOfAsked {
  right: number;
  asked: number;
}

/** bench/hearing.ts's report for one model folder. */
export interface HearingFigures {
  conditions: Record<string, HearingCondition>;
  typed: Record<string, RightOfAsked>;
  spoken: Record<string, RightOfAsked>;
  roundTripWer: number;
  roundTripAnswers: number;
}

/** The fields of bench/ttfa.ts's summary used here. */
export interface TtfaFigures {
  turns: number;
  failedTurns: number;
  ttfaP50Ms: number;
  ttfaP95Ms: number;
  floorP50Ms: number;
  floorP95Ms: number;
  underruns: number;
}

/** One runtime of bench/lm-runtimes.ts's report (its runs, one value each). */
export interface LmFigures {
  decodeMsPerToken: number[];
  prefillUsPerToken: number[];
  longestStepMs: number[];
}

/** The fields of bench/capacity.ts's summary used here. */
export interface CapacityFigures {
  callers: number;
  p95TtfaMs: number | null;
  latencyCallers: number;
  latencyP95TtfaMs: number | null;
  stoppedBy: string;
  firstFailure: { callers: number; why: string[] } | null;
  /** The load questions this model answered right in the calibration: the steps ask only these. */
  questions: number;
  excludedQuestions: string[];
  steps: { callers: number }[];
}

export interface PathFigures {
  /** "SpeechGPT path", "LLaSM path". */
  label: string;
  modelDir: string;
  /** The LM runtime the manifest names: "gguf" (node-llama-cpp) or "onnx" (onnxruntime-node). */
  runtime: string;
  hearing?: HearingFigures;
  ttfa?: TtfaFigures;
  lm?: LmFigures;
  capacity?: CapacityFigures;
}

/** The condition bench/hearing.ts reads real people in; pooled figures are over the synthetic ones. */
export const HUMAN_CONDITION = 'heldOutHumanVoices';

/** A share as "12.3 %" (n/a with nothing to divide by). */
function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(1)} %` : 'n/a';
}

function rightOf(r: RightOfAsked | undefined): string {
  return r && r.asked > 0 ? `${r.right}/${r.asked} (${pct(r.right, r.asked)})` : 'n/a';
}

function sumRight(rs: RightOfAsked[]): RightOfAsked {
  return rs.reduce((a, r) => ({ right: a.right + r.right, asked: a.asked + r.asked }), { right: 0, asked: 0 });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median and spread of a bench's runs: "1.23 (1.20–1.31)". */
function spread(xs: number[] | undefined, digits: number): string {
  if (!xs || xs.length === 0) return 'n/a';
  const f = (x: number) => x.toFixed(digits);
  return xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

/** Pooled transcript word errors over the synthetic conditions (every condition but the human one). */
export function pooledWer(h: HearingFigures): { wordErrors: number; words: number } {
  const cs = Object.entries(h.conditions).filter(([name]) => name !== HUMAN_CONDITION).map(([, c]) => c);
  return { wordErrors: cs.reduce((n, c) => n + c.wordErrors, 0), words: cs.reduce((n, c) => n + c.words, 0) };
}

/** "3 (MODEL_OUTPUT_MALFORMED ×2, CONTEXT_FULL ×1)", or "0". */
function failedTurns(h: HearingFigures): string {
  const byCode = new Map<string, number>();
  for (const c of Object.values(h.conditions)) for (const [code, n] of Object.entries(c.failures)) byCode.set(code, (byCode.get(code) ?? 0) + n);
  const total = [...byCode.values()].reduce((a, b) => a + b, 0);
  return total === 0 ? '0' : `${total} (${[...byCode].map(([code, n]) => `${code} ×${n}`).join(', ')})`;
}

function pooledAnswers(h: HearingFigures): RightOfAsked {
  return sumRight(Object.values(h.conditions).map((c) => ({ right: c.answersRight, asked: c.answersAsked })));
}

/** Keys in first-seen order over both paths (a condition or skill one path lacks still gets its row). */
function keysOf(paths: PathFigures[], pick: (p: PathFigures) => Record<string, unknown> | undefined): string[] {
  return [...new Set(paths.flatMap((p) => Object.keys(pick(p) ?? {})))];
}

interface Row {
  measure: string;
  cells: string[];
  /** Per path, the number the ratio column divides (undefined: no ratio on this row). */
  values?: (number | undefined)[];
}

/** The second path's value over the first's, "0.85" (n/a when either is missing or the first is 0). */
function ratio(values: (number | undefined)[] | undefined): string {
  const [a, b] = values ?? [];
  return a === undefined || b === undefined || a === 0 ? '' : (b / a).toFixed(2);
}

function rows(paths: PathFigures[]): Row[] {
  const out: Row[] = [];
  const row = (measure: string, cell: (p: PathFigures) => string, value?: (p: PathFigures) => number | undefined) =>
    out.push({ measure, cells: paths.map(cell), ...(value ? { values: paths.map(value) } : {}) });
  const share = (r: RightOfAsked | undefined) => (r && r.asked > 0 ? r.right / r.asked : undefined);
  const utterancesIn = (name: string) => Math.max(...paths.map((p) => p.hearing?.conditions[name]?.utterances ?? 0));

  row('LM runtime', (p) => p.runtime);
  for (const name of keysOf(paths, (p) => p.hearing?.conditions)) {
    const c = (p: PathFigures) => p.hearing?.conditions[name];
    row(`transcript WER: ${name} (${utterancesIn(name)})`, (p) => (c(p) ? pct(c(p)!.wordErrors, c(p)!.words) : 'n/a'), (p) => c(p)?.wer);
  }
  row('transcript WER: synthetic conditions pooled', (p) => (p.hearing ? pct(pooledWer(p.hearing).wordErrors, pooledWer(p.hearing).words) : 'n/a'), (p) => {
    const w = p.hearing ? pooledWer(p.hearing) : undefined;
    return w && w.words > 0 ? w.wordErrors / w.words : undefined;
  });
  for (const name of keysOf(paths, (p) => p.hearing?.conditions)) {
    if (!paths.some((p) => (p.hearing?.conditions[name]?.answersAsked ?? 0) > 0)) continue;
    const r = (p: PathFigures) => {
      const c = p.hearing?.conditions[name];
      return c ? { right: c.answersRight, asked: c.answersAsked } : undefined;
    };
    row(`answers right (spoken): ${name}`, (p) => rightOf(r(p)), (p) => share(r(p)));
  }
  row('answers right (spoken): all conditions', (p) => rightOf(p.hearing && pooledAnswers(p.hearing)), (p) => share(p.hearing && pooledAnswers(p.hearing)));
  row('turns failed (spoken), by error code', (p) => (p.hearing ? failedTurns(p.hearing) : 'n/a'));
  for (const skill of keysOf(paths, (p) => p.hearing?.spoken)) {
    row(`skill accuracy, spoken: ${skill}`, (p) => rightOf(p.hearing?.spoken[skill]), (p) => share(p.hearing?.spoken[skill]));
  }
  for (const skill of keysOf(paths, (p) => p.hearing?.typed)) {
    row(`skill accuracy, typed: ${skill}`, (p) => rightOf(p.hearing?.typed[skill]), (p) => share(p.hearing?.typed[skill]));
  }
  const typedAll = (p: PathFigures) => (p.hearing ? sumRight(Object.values(p.hearing.typed)) : undefined);
  row('skill accuracy, typed: all skills', (p) => rightOf(typedAll(p)), (p) => share(typedAll(p)));
  if (paths.some((p) => (p.hearing?.roundTripAnswers ?? 0) > 0)) {
    row('round trip WER (answer spoken, heard back)', (p) => (p.hearing && p.hearing.roundTripAnswers > 0 ? `${pct(p.hearing.roundTripWer, 1)} (${p.hearing.roundTripAnswers})` : 'n/a'), (p) =>
      p.hearing && p.hearing.roundTripAnswers > 0 ? p.hearing.roundTripWer : undefined,
    );
  }
  const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(1));
  row('TTFA p50 (ms)', (p) => ms(p.ttfa?.ttfaP50Ms), (p) => p.ttfa?.ttfaP50Ms);
  row('TTFA p95 (ms)', (p) => ms(p.ttfa?.ttfaP95Ms), (p) => p.ttfa?.ttfaP95Ms);
  row('TTFA compute floor p50 (ms)', (p) => ms(p.ttfa?.floorP50Ms), (p) => p.ttfa?.floorP50Ms);
  row('TTFA compute floor p95 (ms)', (p) => ms(p.ttfa?.floorP95Ms), (p) => p.ttfa?.floorP95Ms);
  row('TTFA turns (failed, underruns)', (p) => (p.ttfa ? `${p.ttfa.turns} (${p.ttfa.failedTurns}, ${p.ttfa.underruns})` : 'n/a'));
  const lmMedian = (xs: number[] | undefined) => (xs && xs.length > 0 ? median(xs) : undefined);
  row('LM decode ms/token, 1 sequence: median (min–max)', (p) => spread(p.lm?.decodeMsPerToken, 2), (p) => lmMedian(p.lm?.decodeMsPerToken));
  row('LM prefill µs/token, 1 sequence: median (min–max)', (p) => spread(p.lm?.prefillUsPerToken, 0), (p) => lmMedian(p.lm?.prefillUsPerToken));
  row('LM longest decode step ms: median (min–max)', (p) => spread(p.lm?.longestStepMs, 2), (p) => lmMedian(p.lm?.longestStepMs));
  const heldAt = (n: number, ttfa: number | null) => `${n}${ttfa === null ? '' : ` (p95 TTFA ${ttfa} ms)`}`;
  row('callers held, every condition', (p) => (p.capacity ? heldAt(p.capacity.callers, p.capacity.p95TtfaMs) : 'n/a'), (p) => p.capacity?.callers);
  row('callers held on latency (underruns aside)', (p) => (p.capacity ? heldAt(p.capacity.latencyCallers, p.capacity.latencyP95TtfaMs) : 'n/a'), (p) => p.capacity?.latencyCallers);
  row('capacity: load questions answered right alone (the steps ask these)', (p) =>
    p.capacity ? `${p.capacity.questions}/${p.capacity.questions + p.capacity.excludedQuestions.length}` : 'n/a',
  );
  row('capacity search stopped by', (p) => {
    const c = p.capacity;
    if (!c) return 'n/a';
    const f = c.firstFailure;
    return `${c.stoppedBy}${f ? ` (${f.callers} callers: ${f.why.join('; ')})` : ''}`;
  });
  return out;
}

/** The side-by-side table, one line per markdown row; the last column is the second path over the first. */
export function pathsTable(paths: PathFigures[]): string[] {
  const [first, second] = paths;
  const head = ['measure', ...paths.map((p) => `${p.label} (${p.modelDir})`), ...(first && second ? [`${second.label} / ${first.label}`] : [])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows(paths)) lines.push(`| ${[r.measure, ...r.cells, ...(first && second ? [ratio(r.values)] : [])].join(' | ')} |`);
  return lines;
}

/** The run's summary (the bench's last line): per path its figures as measured, plus the headline numbers. */
export function pathsSummary(paths: PathFigures[], extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    paths: paths.map((p) => {
      const w = p.hearing ? pooledWer(p.hearing) : undefined;
      const answers = p.hearing ? pooledAnswers(p.hearing) : undefined;
      const typed = p.hearing ? sumRight(Object.values(p.hearing.typed)) : undefined;
      return {
        label: p.label,
        modelDir: p.modelDir,
        runtime: p.runtime,
        pooledWer: w && w.words > 0 ? Math.round((w.wordErrors / w.words) * 10000) / 10000 : null,
        answersRight: answers ?? null,
        typedRight: typed ?? null,
        ttfaP95Ms: p.ttfa?.ttfaP95Ms ?? null,
        floorP95Ms: p.ttfa?.floorP95Ms ?? null,
        decodeMsPerToken: p.lm && p.lm.decodeMsPerToken.length > 0 ? median(p.lm.decodeMsPerToken) : null,
        callers: p.capacity?.callers ?? null,
        latencyCallers: p.capacity?.latencyCallers ?? null,
        hearing: p.hearing ?? null,
        ttfa: p.ttfa ?? null,
        lm: p.lm ?? null,
        capacity: p.capacity ?? null,
      };
    }),
  };
}
