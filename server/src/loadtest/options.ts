// `voxgate loadtest` flags → a checked LoadtestOptions. Pure, so every flag's bounds are unit-tested.
import { VOICE_PATH } from '../../../client-sdk/src/protocol/index.ts';
import { intFlag, parseFlags, UsageError } from '../cli/args.ts';
import type { TransportChoice } from './transports.ts';
import { DEFAULT_UTTERANCES_DIR } from './utterances.ts';

export const LOADTEST_FLAGS = {
  url: { type: 'string' },
  callers: { type: 'string' },
  ramp: { type: 'string' },
  duration: { type: 'string' },
  transport: { type: 'string' },
  turns: { type: 'string' },
  utterances: { type: 'string' },
  only: { type: 'string' },
  order: { type: 'string' },
  'barge-in-share': { type: 'string' },
  codec: { type: 'string' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  'turn-timeout-ms': { type: 'string' },
  'underrun-tolerance-ms': { type: 'string' },
  'metrics-url': { type: 'string' },
  seed: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const LOADTEST_HELP = `usage: voxgate loadtest [flags]

Synthetic callers on the client SDK: each streams a pre-rendered question at real time in 20 ms frames,
commits, waits for the answer, checks transcript and answer against the expected ones, listens, and
speaks again. A live progress bar on stderr while it runs; the summary on stdout (with --json, one JSON
object as the last stdout line). Exit 0 when every call and turn succeeded, every answer was right and no
answer audio underran, else 1.

  --url URL                 gateway (default ws://127.0.0.1:8080${VOICE_PATH})
  --callers N               concurrent callers (default 4)
  --ramp R                  callers started per second (default 2)
  --duration S              keep calling for S seconds (default 0: one call per caller)
  --turns T                 questions per call (default 2)
  --transport T             ws | webrtc | mixed | realtime | twilio (default ws; webrtc needs the SDK's Node
                            WebRTC transport; realtime: the OpenAI Realtime-compatible endpoint, PCM16 24 kHz;
                            twilio: phone media streams, μ-law 8 kHz, timed but not judged (no text on a
                            phone line); both at the URL's host under /v1/realtime, /v1/twilio)
  --utterances DIR          questions: index.json + WAVs (default bench/utterances)
  --only IDS                comma-separated utterance ids or skills to use (default all)
  --order O                 random (seeded, default) | cycle: every question in index order, spread over callers
  --barge-in-share X        share of callers that speak over answers, 0..1 (default 0.1)
  --codec C                 opus | pcm16, both ways (default opus)
  --json                    no progress bar; summary as one JSON object on the last stdout line
  --report DIR              write DIR/loadtest.json and DIR/loadtest.html (plots)
  --turn-timeout-ms N       no answer this long after a question: the turn fails (default 30000)
  --underrun-tolerance-ms N an inter-frame gap above 20 ms + N is an underrun (default 30)
  --metrics-url URL         gateway metrics (default: http://<host>/metrics.json of --url)
  --seed N                  question choice and timings (default 1)
  --token T                 auth token (default: VOXGATE_AUTH_TOKEN)`;

export interface LoadtestOptions {
  url: string;
  callers: number;
  rampPerSecond: number;
  durationS: number;
  turns: number;
  transport: TransportChoice;
  utterancesDir: string;
  only: string[] | undefined;
  order: 'random' | 'cycle';
  bargeInShare: number;
  codec: 'opus' | 'pcm16';
  json: boolean;
  reportDir: string | undefined;
  turnTimeoutMs: number;
  underrunToleranceMs: number;
  metricsUrl: string | undefined;
  seed: number;
  token: string | undefined;
}

/** Bounds that keep one command from becoming a runaway: a load test is a measurement, not a flood. */
export const MAX_CALLERS = 1000;
export const MAX_DURATION_S = 3600;
export const MAX_TURNS = 100;

export function parseLoadtestArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): LoadtestOptions | 'help' {
  const { values: f, positionals } = parseFlags(argv, LOADTEST_FLAGS);
  if (f.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const url = f.url ?? `ws://127.0.0.1:8080${VOICE_PATH}`;
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url must be a ws:// or wss:// URL, got "${url}"`);
  const transport = f.transport ?? 'ws';
  if (transport !== 'ws' && transport !== 'webrtc' && transport !== 'mixed' && transport !== 'realtime' && transport !== 'twilio') {
    throw new UsageError('--transport must be ws, webrtc, mixed, realtime or twilio');
  }
  const codec = f.codec ?? 'opus';
  if (codec !== 'opus' && codec !== 'pcm16') throw new UsageError('--codec must be opus or pcm16');
  const callers = intFlag('callers', f.callers, 4, 1);
  if (callers > MAX_CALLERS) throw new UsageError(`--callers must be at most ${MAX_CALLERS}`);
  const durationS = intFlag('duration', f.duration, 0, 0);
  if (durationS > MAX_DURATION_S) throw new UsageError(`--duration must be at most ${MAX_DURATION_S} s`);
  const turns = intFlag('turns', f.turns, 2, 1);
  if (turns > MAX_TURNS) throw new UsageError(`--turns must be at most ${MAX_TURNS}`);
  const order = f.order ?? 'random';
  if (order !== 'random' && order !== 'cycle') throw new UsageError('--order must be random or cycle');
  const only = f.only === undefined ? undefined : f.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    url,
    callers,
    rampPerSecond: positiveNumber('ramp', f.ramp, 2),
    durationS,
    turns,
    transport,
    utterancesDir: f.utterances ?? DEFAULT_UTTERANCES_DIR,
    only,
    order,
    bargeInShare: share('barge-in-share', f['barge-in-share'], 0.1),
    codec,
    json: f.json === true,
    reportDir: f.report,
    turnTimeoutMs: intFlag('turn-timeout-ms', f['turn-timeout-ms'], 30_000, 100),
    underrunToleranceMs: intFlag('underrun-tolerance-ms', f['underrun-tolerance-ms'], 30, 0),
    metricsUrl: f['metrics-url'],
    seed: intFlag('seed', f.seed, 1, 0),
    token: f.token ?? (env['VOXGATE_AUTH_TOKEN'] || undefined),
  };
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1000) throw new UsageError(`--${name} must be a number in (0, 1000], got "${raw}"`);
  return n;
}

function share(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} must be a number in [0, 1], got "${raw}"`);
  return n;
}
