// bench:paths: voxgate's two seed systems side by side, in one run on one machine: the SpeechGPT path (discrete
// units as LM tokens, the GGUF in node-llama-cpp) and the LLaSM path (the speech encoder's continuous states through
// the adaptor into the LM as embeddings, the LM in onnxruntime), on the same dev set. It runs the existing benches one
// after another as child processes (never two at once: their timings must not contend) and combines their JSON last
// lines:
//   bench/hearing.ts      transcript WER and answers right per listening condition, skill accuracy spoken and typed
//   bench/ttfa.ts         TTFA and its compute floor (once per path)
//   bench/lm-runtimes.ts  LM ms/token, one sequence (both runtimes in one process, runs alternating)
//   bench/capacity.ts     callers held (once per path, --skip-micro, short steps)
// The dev set is the recipe's (render_dev.py, the shipped model's plan `long`, 40 utterances per condition and the
// held-out human voices); when --set holds no index.json it is rendered there first (about a minute, plus a download
// of Debian's speech packages the first time).
//
//   npm run bench:paths -- [--speechgpt DIR] [--llasm DIR] [--set DIR] [--per-condition N] [--round-trip N]
//                          [--ttfa-rounds N] [--lm-runs N] [--lm-tokens N] [--capacity-steps 1,2,4,...]
//                          [--capacity-step-seconds S] [--capacity-budget-s S] [--skip-capacity]
//
// stdout: a markdown table (a row per measure, a column per path, then LLaSM over SpeechGPT), then one JSON object as
// the last line. The children's own output goes to stderr. A bench that fails leaves its rows n/a, is named in the
// JSON's `failures`, and the exit status is 1.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadManifest } from '../server/src/runtimes/manifest.ts';
import { pathsSummary, pathsTable, type CapacityFigures, type HearingFigures, type LmFigures, type PathFigures, type TtfaFigures } from './paths-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RECIPE_DIR = join(ROOT, 'models/recipe');
/** The interpreter with torch (the `python3` on PATH has none). */
const PYTHON = '/usr/bin/python3';

const { values } = parseArgs({
  options: {
    speechgpt: { type: 'string', default: 'models/voxgate-tiny-en' },
    llasm: { type: 'string', default: 'models/voxgate-llasm-tiny-en' },
    set: { type: 'string', default: 'bench/out/dev-set' },
    'per-condition': { type: 'string' },
    'round-trip': { type: 'string', default: '0' },
    'ttfa-rounds': { type: 'string', default: '1' },
    'lm-runs': { type: 'string', default: '3' },
    'lm-tokens': { type: 'string', default: '64' },
    'capacity-steps': { type: 'string', default: '1,2,4,6,8,12,16,24' },
    'capacity-step-seconds': { type: 'string', default: '20' },
    'capacity-budget-s': { type: 'string', default: '400' },
    'skip-capacity': { type: 'boolean', default: false },
  },
});
const setDir = resolve(values.set);
const t0 = performance.now();
const say = (line: string) => process.stderr.write(`[paths ${Math.round((performance.now() - t0) / 1000)}s] ${line}\n`);

interface ChildResult {
  json: unknown;
  wallS: number;
}

/** Runs `script` (a TypeScript bench) to its end, its stdout echoed on stderr; resolves with its last line's JSON. */
function runBench(script: string, args: string[]): Promise<ChildResult> {
  const started = performance.now();
  say(`${script} ${args.join(' ')}`);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let lastLine = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      process.stderr.write(chunk);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') lastLine = l;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pending.trim() !== '') lastLine = pending;
      const wallS = Math.round((performance.now() - started) / 1000);
      if (code !== 0) return reject(new Error(`${script} exited with ${code ?? signal} after ${wallS} s`));
      try {
        resolveRun({ json: JSON.parse(lastLine) as unknown, wallS });
      } catch {
        reject(new Error(`${script}: its last line is not JSON: ${lastLine.slice(0, 200)}`));
      }
    });
  });
}

/** The recipe's dev set, rendered into `dir` unless it is there already. */
async function ensureDevSet(dir: string): Promise<void> {
  if (existsSync(join(dir, 'index.json'))) return;
  const args = ['-m', 'voxgate_recipe.render_dev', '--plan', 'long', '--per-condition', '40', '--fetch-human', join(ROOT, 'bench/out/human'), '--out', dir];
  const command = `(cd models/recipe && ${PYTHON} ${args.join(' ')})`;
  say(`no dev set in ${dir}: rendering it: ${command}`);
  const code = await new Promise<number | null>((done) => {
    const child = spawn(PYTHON, args, { cwd: RECIPE_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => done(null));
    child.on('close', done);
  });
  if (code !== 0 || !existsSync(join(dir, 'index.json'))) {
    throw new Error(`rendering the dev set failed (exit ${code}); it needs espeak-ng, flite, sox, opus-tools and python3-torch ` +
      `(bash .ci/install-system.sh) and apt-get download for Debian's speech packages. Render it by hand with\n  ${command}\nor pass --set DIR`);
  }
}

const paths: PathFigures[] = [
  { label: 'SpeechGPT path', modelDir: values.speechgpt, runtime: loadManifest(values.speechgpt).lm.runtime },
  { label: 'LLaSM path', modelDir: values.llasm, runtime: loadManifest(values.llasm).lm.runtime },
];
const [speechgpt, llasm] = paths as [PathFigures, PathFigures];
if (speechgpt.runtime !== 'gguf' || llasm.runtime !== 'onnx') {
  throw new Error(`--speechgpt needs a GGUF model folder and --llasm an ONNX-LM one (bench/lm-runtimes.ts compares the two runtimes); got ${speechgpt.runtime} and ${llasm.runtime}`);
}
const failures: string[] = [];
const wallS: Record<string, number> = {};
const loadAvgStart = loadavg();

/** Runs one bench; a failure is recorded and the run goes on with the next. */
async function step(name: string, script: string, args: string[], use: (json: unknown) => void): Promise<void> {
  try {
    const r = await runBench(script, args);
    wallS[name] = r.wallS;
    use(r.json);
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    say(`${name} FAILED: ${(err as Error).message}`);
  }
}

await ensureDevSet(setDir);
const perCondition = values['per-condition'] ? ['--per-condition', values['per-condition']] : [];
await step('hearing', 'bench/hearing.ts', ['--set', setDir, '--model', speechgpt.modelDir, '--model', llasm.modelDir, '--round-trip', values['round-trip'], ...perCondition], (json) => {
  const report = json as Record<string, HearingFigures>;
  for (const p of paths) p.hearing = report[p.modelDir];
});
for (const p of paths) {
  await step(`ttfa ${p.label}`, 'bench/ttfa.ts', ['--model', p.modelDir, '--rounds', values['ttfa-rounds']], (json) => {
    p.ttfa = json as TtfaFigures;
  });
}
await step('lm-runtimes', 'bench/lm-runtimes.ts', ['--gguf', speechgpt.modelDir, '--onnx', llasm.modelDir, '--runs', values['lm-runs'], '--tokens', values['lm-tokens']], (json) => {
  const runs = (json as { runs: Record<'gguf' | 'onnx', LmFigures> }).runs;
  speechgpt.lm = runs.gguf;
  llasm.lm = runs.onnx;
});
if (!values['skip-capacity']) {
  for (const p of paths) {
    const args = ['--model', p.modelDir, '--steps', values['capacity-steps'], '--step-seconds', values['capacity-step-seconds'], '--budget-s', values['capacity-budget-s'], '--skip-micro'];
    await step(`capacity ${p.label}`, 'bench/capacity.ts', args, (json) => {
      p.capacity = json as CapacityFigures;
    });
  }
}

const settings = {
  set: setDir,
  perCondition: values['per-condition'] ? Number(values['per-condition']) : 'all',
  roundTrip: Number(values['round-trip']),
  ttfaRounds: Number(values['ttfa-rounds']),
  lmRuns: Number(values['lm-runs']),
  lmTokens: Number(values['lm-tokens']),
  capacity: values['skip-capacity'] ? 'skipped' : { steps: values['capacity-steps'], stepSeconds: Number(values['capacity-step-seconds']), budgetS: Number(values['capacity-budget-s']) },
};
const machine = { cpus: cpus().length, loadAvg1mStart: Math.round(loadAvgStart[0]! * 100) / 100, loadAvg1mEnd: Math.round(loadavg()[0]! * 100) / 100 };
const totalS = Math.round((performance.now() - t0) / 1000);
process.stdout.write(`\n${pathsTable(paths).join('\n')}\n\n`);
process.stdout.write(`${totalS} s in all (${Object.entries(wallS).map(([k, s]) => `${k} ${s} s`).join(', ')}); load average ${machine.loadAvg1mStart} at the start, ${machine.loadAvg1mEnd} at the end, ${machine.cpus} CPUs\n`);
if (failures.length > 0) process.stdout.write(`FAILED: ${failures.join('; ')}\n`);
process.stdout.write(`${JSON.stringify(pathsSummary(paths, { settings, machine, wallS: { ...wallS, total: totalS }, failures }))}\n`);
if (failures.length > 0) process.exitCode = 1;
