// The load test report as one self-contained HTML page: a verdict, headline figures, three plots (TTFA
// histogram, TTFA over time against callers, gateway CPU and event loop), per-skill and error tables, and the
// wrong answers side by side with the expected ones. No script, no external resource.
import type { LoadResult } from '../run.ts';
import { percentile } from '../stats.ts';
import type { LoadSummary } from '../summary.ts';
import { ttfaHistogramSvg } from './plot-ttfa-histogram.ts';
import { ttfaTimelineSvg } from './plot-ttfa-timeline.ts';
import { serverSvg } from './plot-server.ts';
import { esc } from './svg.ts';

export interface ReportMeta {
  url: string;
  model: string | null;
  /** The run's settings as the command took them, shown under the title. */
  settings: Record<string, string | number | boolean>;
  targetTtfaMs: number;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;background:#f3f4f6;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:860px;margin:0 auto;padding:28px 20px 40px}
h1{font-size:24px;margin:0 0 2px;letter-spacing:-.01em}h2{font-size:15px;margin:0 0 4px}
.sub{color:#6b7280;margin:0}.settings{color:#6b7280;margin:6px 0 0;font-size:12.5px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 2px rgba(0,0,0,.06),0 0 0 1px rgba(0,0,0,.04);padding:16px 18px;margin:14px 0}
.note{color:#6b7280;font-size:12.5px;margin:0 0 8px}
.verdict{display:flex;gap:12px;align-items:center;font-size:15px}
.badge{font-weight:700;font-size:13px;padding:4px 10px;border-radius:999px;color:#fff;letter-spacing:.04em}
.pass{background:#059669}.fail{background:#dc2626}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin:14px 0}
.tile{background:#fff;border-radius:10px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.06),0 0 0 1px rgba(0,0,0,.04)}
.tile .k{color:#6b7280;font-size:12px}.tile .v{font-size:24px;font-weight:650;letter-spacing:-.02em;margin-top:2px}
.tile .d{color:#6b7280;font-size:12px}.tile.bad .v{color:#dc2626}.tile.good .v{color:#059669}
.two{display:grid;grid-template-columns:1fr 1fr;gap:14px}.two .card{margin:0}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e5e7eb}
th{color:#6b7280;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.got{color:#b45309}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
footer{color:#9ca3af;font-size:12px;margin-top:18px}
`;

export function reportHtml(result: LoadResult, s: LoadSummary, meta: ReportMeta): string {
  const ttfa = result.turns.flatMap((t) => (t.ttfaMs === null ? [] : [t.ttfaMs]));
  const pass = s.errors === 0 && s.underruns === 0 && s.correct === s.judged && s.judged > 0 && s.p95TtfaMs <= meta.targetTtfaMs;
  const settings = Object.entries(meta.settings).map(([k, v]) => `${esc(k)} ${esc(String(v))}`).join(' · ');
  const reasons = [
    `p95 TTFA ${num(s.p95TtfaMs)} ms ${s.p95TtfaMs <= meta.targetTtfaMs ? '≤' : '>'} ${meta.targetTtfaMs} ms`,
    `${s.underruns} underruns`,
    `${s.correct}/${s.judged} answers right`,
    `${s.errors} errors`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>voxgate load test · ${esc(result.startedAt)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>voxgate load test</h1>
<p class="sub">${esc(meta.url)}${meta.model ? ` · model ${esc(meta.model)}` : ''} · ${esc(result.startedAt.replace('T', ' ').slice(0, 19))} UTC · ${num(s.wallS)} s</p>
<p class="settings">${settings}</p></header>
<div class="card verdict"><span class="badge ${pass ? 'pass' : 'fail'}">${pass ? 'PASS' : 'FAIL'}</span><span>${reasons.map(esc).join(' · ')}</span></div>
${tiles(s)}
<div class="card"><h2>Time to first audio</h2><p class="note">End of the caller's audio (commit sent) → first answer audio frame received, ${ttfa.length} turns. The load generator's own event loop ran late by ${num(s.clientEventLoopP99Ms)} ms at p99.</p>${ttfaHistogramSvg(ttfa, meta.targetTtfaMs)}</div>
<div class="card"><h2>TTFA over the run, against callers in a call</h2><p class="note">One dot per turn at the moment its question ended. Hover a dot for the caller, the question and the outcome.</p>${ttfaTimelineSvg(result.turns, result.activity, meta.targetTtfaMs)}</div>
<div class="card"><h2>Gateway process</h2><p class="note">Sampled from the gateway's /metrics each second. Peak memory ${num(s.serverRssMaxMb)} MB RSS; mean CPU ${num(s.serverCpuMeanPercent)} %.</p>${serverSvg(result.server, result.wallMs, result.serverCores ?? 1, result.serverMetricsProblem)}</div>
<div class="two">${skillTable(result)}${errorTable(s, result)}</div>
${wrongAnswers(result)}
<footer>voxgate loadtest · raw records of every call and turn in loadtest.json beside this page</footer>
</main></body></html>
`;
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : '–';
}

function tiles(s: LoadSummary): string {
  const tile = (k: string, v: string, d: string, tone = '') => `<div class="tile ${tone}"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div><div class="d">${esc(d)}</div></div>`;
  const pct = (a: number, b: number) => (b === 0 ? '–' : `${Math.round((a / b) * 1000) / 10} %`);
  return `<div class="tiles">${[
    tile('p95 TTFA', `${num(s.p95TtfaMs)} ms`, `p50 ${num(s.p50TtfaMs)} · p99 ${num(s.p99TtfaMs)} ms`),
    tile('answers right', pct(s.correct, s.judged), `${s.correct}/${s.judged} · transcripts ${s.transcriptCorrect}`, s.correct === s.judged && s.judged > 0 ? 'good' : 'bad'),
    tile('errors', String(s.errors), `${s.refusedCalls} refused · ${s.failedCalls} failed calls`, s.errors === 0 ? 'good' : 'bad'),
    tile('underruns', String(s.underruns), `${s.underrunMs} ms heard · ${s.gaps} gaps, longest ${num(s.maxGapMs)} ms`, s.underruns === 0 ? 'good' : 'bad'),
    tile('callers', String(s.peakActiveCallers), `peak in a call · ${s.calls} calls`),
    tile('turns', String(s.turns), `${s.answeredTurns} answered · ${s.bargedInTurns} barged in`),
    tile('call setup', `${num(s.p50SetupMs)} ms`, `p95 ${num(s.p95SetupMs)} ms`),
    tile('gateway CPU', `${num(s.serverCpuMaxPercent)} %`, `max · mean ${num(s.serverCpuMeanPercent)} % · loop p99 ≤ ${num(s.serverEventLoopP99MaxMs)} ms`),
  ].join('')}</div>`;
}

function skillTable(r: LoadResult): string {
  const skills = [...new Set(r.turns.map((t) => t.skill))].sort();
  const rows = skills.map((skill) => {
    const ts = r.turns.filter((t) => t.skill === skill);
    const judged = ts.filter((t) => t.outcome === 'done' && !t.bargedIn);
    const right = judged.filter((t) => t.transcriptOk && t.answerOk).length;
    const ttfa = ts.flatMap((t) => (t.ttfaMs === null ? [] : [t.ttfaMs]));
    return `<tr><td>${esc(skill)}</td><td class="n">${ts.length}</td><td class="n">${right}/${judged.length}</td><td class="n">${ttfa.length ? Math.round(percentile(ttfa, 50)) : '–'}</td><td class="n">${ttfa.length ? Math.round(percentile(ttfa, 95)) : '–'}</td></tr>`;
  });
  return `<div class="card"><h2>By skill</h2><table><thead><tr><th>skill</th><th class="n">turns</th><th class="n">right</th><th class="n">p50 ms</th><th class="n">p95 ms</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function errorTable(s: LoadSummary, r: LoadResult): string {
  const codes = Object.entries(s.errorsByCode).sort((a, b) => b[1] - a[1]);
  const example = (code: string) =>
    r.calls.find((c) => c.setupMs === null && c.errorCode === code)?.message ?? r.turns.find((t) => t.error?.code === code)?.error?.message ?? '';
  const rows = codes.map(([code, n]) => `<tr><td class="mono">${esc(code)}</td><td class="n">${n}</td><td>${esc(example(code).slice(0, 90))}</td></tr>`);
  const body = rows.length === 0 ? '<tr><td colspan="3">none</td></tr>' : rows.join('');
  return `<div class="card"><h2>Errors and refusals</h2><table><thead><tr><th>code</th><th class="n">count</th><th>example</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

const MAX_WRONG_ROWS = 12;

/** Wrong answers grouped by question and what came back (the model is deterministic: repeats are the rule). */
function wrongAnswers(r: LoadResult): string {
  const wrong = r.turns.filter((t) => t.outcome === 'done' && !t.bargedIn && !(t.transcriptOk && t.answerOk));
  if (wrong.length === 0) return '';
  const groups = new Map<string, { t: (typeof wrong)[number]; n: number }>();
  for (const t of wrong) {
    const key = JSON.stringify([t.utteranceId, t.transcript, t.answer]);
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { t, n: 1 });
  }
  const sorted = [...groups.values()].sort((a, b) => b.n - a.n || a.t.utteranceId.localeCompare(b.t.utteranceId));
  const rows = sorted.slice(0, MAX_WRONG_ROWS).map(({ t, n }) => {
    const cell = (ok: boolean, got: string) => `<td class="${ok ? '' : 'got'}">${esc(got || '(nothing)')}</td>`;
    return `<tr><td class="mono">${esc(t.utteranceId)}</td><td class="n">${n}</td>${cell(t.transcriptOk, t.transcript)}${cell(t.answerOk, t.answer)}<td>${esc(t.expectedAnswer)}</td></tr>`;
  });
  const more = sorted.length > MAX_WRONG_ROWS ? `<p class="note">and ${sorted.length - MAX_WRONG_ROWS} more in loadtest.json</p>` : '';
  return `<div class="card"><h2>Wrong answers (${wrong.length} turns)</h2><p class="note">What the model heard and answered, amber where it differs from the expected transcript or answer; identical outcomes counted together.</p><table><thead><tr><th>question</th><th class="n">×</th><th>heard</th><th>answered</th><th>expected answer</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</div>`;
}
