// `voxgate ask`: one question to the model, from a WAV file or text, with the answer as one JSON object
// (--json) or readable lines. Errors go to stderr with a non-zero exit: 2 for usage, 1 for everything else.
import { writeWav, readWav } from '../../../client-sdk/src/node/wav.ts';
import { createEngine } from '../engine/create-engine.ts';
import { runOneTurn } from '../engine/one-turn.ts';
import type { Engine } from '../engine/types.ts';
import { DEFAULT_MODEL_DIR, loadManifest, MODES, type Mode } from '../runtimes/manifest.ts';
import { parseFlags, UsageError } from './args.ts';

const USAGE = `usage: voxgate ask (--wav FILE | --text "...") [--mode MODE] [--out answer.wav] [--model DIR] [--json]
  --mode   speech-to-speech | speech-to-text (with --wav; default speech-to-speech)
           text-to-speech | text-to-text (with --text; default text-to-speech)
  --out    write the spoken answer to this WAV file
  --model  model folder (default: the shipped model)
  --json   print one JSON object: {"transcript","answer","audio","timings"}`;

const FLAGS = {
  wav: { type: 'string' },
  text: { type: 'string' },
  mode: { type: 'string' },
  out: { type: 'string' },
  model: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface AskRequest {
  wav?: string;
  text?: string;
  mode: Mode;
  out?: string;
  modelDir: string;
  json: boolean;
}

export function parseAskArgs(argv: readonly string[]): AskRequest | 'help' {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.wav === undefined) === (values.text === undefined)) throw new UsageError('give exactly one of --wav FILE or --text "..."');
  const input = values.wav !== undefined ? 'speech' : 'text';
  const mode = (values.mode ?? (input === 'speech' ? 'speech-to-speech' : 'text-to-speech')) as Mode;
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  if (!mode.startsWith(input)) throw new UsageError(`--mode ${mode} takes ${mode.split('-to-')[0]} input; use ${input === 'speech' ? '--text' : '--wav'} or a ${input}-to-* mode`);
  if (values.out !== undefined && !mode.endsWith('speech')) throw new UsageError(`--out needs a mode that answers in speech, not ${mode}`);
  return {
    ...(values.wav !== undefined ? { wav: values.wav } : {}),
    ...(values.text !== undefined ? { text: values.text } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
    mode,
    modelDir: values.model ?? DEFAULT_MODEL_DIR,
    json: values.json ?? false,
  };
}

export async function runAsk(argv: string[]): Promise<number> {
  let req: AskRequest | 'help';
  try {
    req = parseAskArgs(argv);
  } catch (err) {
    process.stderr.write(`voxgate ask: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (req === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let engine: Engine | undefined;
  try {
    const loadStart = performance.now();
    const manifest = loadManifest(req.modelDir);
    const pcm = req.wav !== undefined ? (await readWav(req.wav, manifest.sampleRateHz)).pcm : undefined;
    engine = await createEngine({ modelDir: req.modelDir, maxSessions: 1, vad: 'off' });
    const loadMs = performance.now() - loadStart;
    const result = await runOneTurn(engine, { mode: req.mode, ...(pcm ? { pcm } : {}), ...(req.text !== undefined ? { text: req.text } : {}) });
    if (req.out !== undefined) await writeWav(req.out, result.audio, result.sampleRateHz);
    const out = {
      transcript: result.transcript,
      answer: result.answer,
      audio: req.out ?? null,
      timings: { ...roundAll(result.timings), loadMs: round(loadMs) },
    };
    if (req.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      if (out.transcript !== null) process.stdout.write(`transcript: ${out.transcript}\n`);
      process.stdout.write(`answer: ${out.answer}\n`);
      if (out.audio) process.stdout.write(`audio: ${out.audio} (${Math.round(result.timings.audioMs)} ms)\n`);
      const t = result.timings;
      const ms = (x: number | undefined) => (x === undefined ? '-' : `${round(x)} ms`);
      process.stdout.write(`timings: first text ${ms(t.firstTranscriptMs ?? t.firstAnswerMs)}, first audio ${ms(t.ttfaMs)}, total ${ms(t.totalMs)}\n`);
    }
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    process.stderr.write(`voxgate ask: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}\n`);
    return 1;
  } finally {
    await engine?.close().catch(() => undefined);
  }
}

function roundAll<T extends object>(timings: T): T {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])) as T;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
