// The server's one configuration schema: every setting with its flag, environment variable, default and bounds.
// Precedence: flag > environment > default. `voxgate serve --help` prints this table.
import { availableParallelism } from 'node:os';
import { MIN_SECRET_LENGTH } from './auth/signed-token.ts';
import { DEFAULT_MODEL_DIR } from './runtimes/manifest.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Interface to listen on. Loopback by default: exposing the gateway is a deliberate choice (--host 0.0.0.0). */
  host: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  modelDir: string;
  /** Concurrent sessions (from session.start to hang-up), whatever the transport. */
  maxSessions: number;
  /** Sessions one address may hold; 0: only maxSessions applies (callers behind one NAT or proxy share an address). */
  maxSessionsPerIp: number;
  /** Sessions one token may hold; 0: only maxSessions applies. A signed token may carry a lower cap of its own. */
  maxSessionsPerToken: number;
  /** Connections that have not sent session.start, in total: beyond it the oldest of them is closed. */
  maxPendingConnections: number;
  /** Connections without session.start from one address: beyond it that address's oldest is closed. */
  maxPendingPerIp: number;
  /** Largest WebSocket message accepted; larger ones are answered MESSAGE_TOO_LARGE. */
  maxMessageBytes: number;
  /** WebSocket messages per second per connection, both kinds; beyond it RATE_LIMITED. */
  maxFramesPerSecond: number;
  /** Time a new connection has to send session.start. */
  handshakeTimeoutMs: number;
  /** Longest session, from session.started. */
  sessionTimeoutMs: number;
  /** A session with no message either way for this long is closed. */
  idleTimeoutMs: number;
  /** Server-side end-of-speech detection when session.start does not say. */
  vad: boolean;
  /** Silence after speech that ends a turn (server VAD). */
  endOfSpeechSilenceMs: number;
  /** When set, a client must present it (Authorization: Bearer, or ?token=): the simple mode, one shared token. */
  authToken: string | undefined;
  /** When set, signed tokens minted under it (`voxgate token`) are accepted on every endpoint; with no static token, required. */
  authSecret: string | undefined;
  /** Browser origins allowed to connect (an Origin header elsewhere is refused); undefined: any. */
  allowedOrigins: readonly string[] | undefined;
  /** How far ahead of real time output audio is sent: what a barge-in cannot take back. */
  outputLeadMs: number;
  /** PEM certificate chain and key files: with both, every endpoint is served over https and wss. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Per-connection send buffer above which audio frames are dropped; at twice this the caller is disconnected. */
  maxBufferedBytes: number;
  /** How long a connection may stay above maxBufferedBytes before it is disconnected. */
  slowConsumerGraceMs: number;
  /** On SIGTERM: how long answers in progress may take to finish before connections close. */
  shutdownGraceMs: number;
  /** Advice sent with SERVER_FULL and NOT_READY. */
  retryAfterMs: number;
  /** Where streamed answers are vocoded: a worker thread (keeps the event loop free) or inline. */
  vocoderThread: 'worker' | 'inline';
  /** Where the unit encoder's windows run while callers speak: a worker thread or inline. */
  encoderThread: 'worker' | 'inline';
  /** Where Silero VAD scores callers' frames: a worker thread, batched across callers, or inline. */
  vadThread: 'worker' | 'inline';
  /** LLM contexts decoding in parallel, one thread each. */
  lmLanes: number;
  logLevel: LogLevel;
  /** Log each turn's transcript and answer: what callers said is theirs, so off unless asked for. */
  logTranscripts: boolean;
  /** Balancers whose X-Forwarded-For names the caller (per-address caps behind nginx); undefined: none. */
  trustedProxies: readonly string[] | undefined;
  /** Cluster mode: the Redis holding the fleet's admission, live calls and control channel; undefined: one node alone. */
  redisUrl: string | undefined;
  /** This node's name in the fleet (a pod's name); undefined: host name and a random suffix. */
  nodeId: string | undefined;
  /** Calls the whole fleet may hold at once (cluster mode); 0: only each node's maxSessions. */
  fleetMaxCalls: number;
  /** How long a node's lease outlives its last heartbeat: a dead node's calls are freed within this plus a heartbeat. */
  fleetLeaseMs: number;
}

type Parse<T> = (raw: string) => T | undefined;

interface FieldSpec<V> {
  flag: string;
  env: string;
  default: V;
  /** undefined: the raw value is invalid, and `expect` says what was wanted. */
  parse: Parse<V>;
  check: (v: V) => boolean;
  expect: string;
  doc: string;
}

type Schema = { [K in keyof Config]: FieldSpec<Config[K]> };

const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const n = Number(raw.trim());
    return raw.trim() !== '' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  };
const inRange = (min: number, max: number) => (v: number) => Number.isInteger(v) && v >= min && v <= max;
const bool: Parse<boolean> = (raw) =>
  ['true', '1', 'yes', 'on'].includes(raw) ? true : ['false', '0', 'no', 'off'].includes(raw) ? false : undefined;
const nonEmpty: Parse<string> = (raw) => (raw.trim() === '' ? undefined : raw);

/**
 * LLM lanes by default: two where there are two cores or more. On the project's 2-core machine two lanes took p95 TTFA
 * at 12 callers from 458-544 ms to 284-461 ms (docs/loadtest.md, "LLM lanes"); more lanes were not measured.
 */
const DEFAULT_LM_LANES = Math.min(2, availableParallelism());

function intField(flag: string, env: string, dflt: number, min: number, max: number, doc: string): FieldSpec<number> {
  return { flag, env, default: dflt, parse: int(min, max), check: inRange(min, max), expect: `an integer in [${min}, ${max}]`, doc };
}

/** An ONNX model's runs in its own worker thread or inline on the event loop. */
function threadField(flag: string, env: string, dflt: 'worker' | 'inline', doc: string): FieldSpec<'worker' | 'inline'> {
  const isKind = (v: string): v is 'worker' | 'inline' => v === 'worker' || v === 'inline';
  return { flag, env, default: dflt, parse: (raw) => (isKind(raw) ? raw : undefined), check: isKind, expect: 'worker | inline', doc };
}

const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;

export const CONFIG_SCHEMA: Schema = {
  host: {
    flag: 'host', env: 'VOXGATE_HOST', default: '127.0.0.1', parse: nonEmpty, check: (v) => v.length > 0,
    expect: 'a host name or address', doc: 'interface to listen on (0.0.0.0 for all)',
  },
  port: intField('port', 'PORT', 8080, 0, 65535, 'TCP port (0: any free port)'),
  modelDir: {
    flag: 'model', env: 'VOXGATE_MODEL_DIR', default: DEFAULT_MODEL_DIR, parse: nonEmpty, check: (v) => v.length > 0,
    expect: 'a folder with a manifest.json', doc: 'model folder',
  },
  maxSessions: intField('max-sessions', 'VOXGATE_MAX_SESSIONS', 16, 1, 10_000, 'concurrent sessions'),
  maxSessionsPerIp: intField('max-sessions-per-ip', 'VOXGATE_MAX_SESSIONS_PER_IP', 0, 0, 10_000, 'sessions per address (0: no own cap)'),
  maxSessionsPerToken: intField('max-sessions-per-token', 'VOXGATE_MAX_SESSIONS_PER_TOKEN', 0, 0, 10_000, 'sessions per token (0: no own cap)'),
  maxPendingConnections: intField('max-pending-connections', 'VOXGATE_MAX_PENDING_CONNECTIONS', 64, 1, 100_000, 'connections without session.start'),
  maxPendingPerIp: intField('max-pending-per-ip', 'VOXGATE_MAX_PENDING_PER_IP', 8, 1, 10_000, 'connections without session.start per address'),
  maxMessageBytes: intField('max-message-bytes', 'VOXGATE_MAX_MESSAGE_BYTES', 65_536, 1024, 16 * MIB, 'largest WebSocket message'),
  maxFramesPerSecond: intField('max-frames-per-second', 'VOXGATE_MAX_FRAMES_PER_SECOND', 200, 1, 10_000, 'messages per second per connection'),
  handshakeTimeoutMs: intField('handshake-timeout-ms', 'VOXGATE_HANDSHAKE_TIMEOUT_MS', 3_000, 50, 600_000, 'time to send session.start'),
  sessionTimeoutMs: intField('session-timeout-ms', 'VOXGATE_SESSION_TIMEOUT_MS', 1_800_000, 100, DAY_MS, 'longest session'),
  idleTimeoutMs: intField('idle-timeout-ms', 'VOXGATE_IDLE_TIMEOUT_MS', 60_000, 100, DAY_MS, 'close after this long without traffic'),
  vad: {
    flag: 'vad', env: 'VOXGATE_VAD', default: true, parse: bool, check: (v) => typeof v === 'boolean',
    expect: 'true or false', doc: 'server end-of-speech detection unless session.start says',
  },
  endOfSpeechSilenceMs: intField('end-of-speech-silence-ms', 'VOXGATE_END_OF_SPEECH_SILENCE_MS', 500, 100, 10_000, 'silence that ends a turn'),
  authToken: {
    flag: 'auth-token', env: 'VOXGATE_AUTH_TOKEN', default: undefined, parse: nonEmpty,
    check: (v) => v === undefined || v.length >= 16, expect: 'at least 16 characters',
    doc: 'bearer token clients must present (prefer the env var: flags show in ps)',
  },
  authSecret: {
    flag: 'auth-secret', env: 'VOXGATE_AUTH_SECRET', default: undefined, parse: nonEmpty,
    check: (v) => v === undefined || v.length >= MIN_SECRET_LENGTH, expect: `at least ${MIN_SECRET_LENGTH} characters`,
    doc: 'secret that signs tokens (voxgate token); prefer the env var',
  },
  allowedOrigins: {
    flag: 'allowed-origins', env: 'VOXGATE_ALLOWED_ORIGINS', default: undefined,
    parse: (raw) => {
      const list = raw.split(',').map((o) => o.trim()).filter((o) => o.length > 0);
      return list.length === 0 ? undefined : list;
    },
    check: (v) => v === undefined || v.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), expect: 'comma-separated origins like https://app.example.com',
    doc: 'browser origins allowed to connect (comma-separated)',
  },
  outputLeadMs: intField('output-lead-ms', 'VOXGATE_OUTPUT_LEAD_MS', 150, 0, 5_000, 'output audio sent ahead of real time'),
  tlsCert: {
    flag: 'tls-cert', env: 'VOXGATE_TLS_CERT', default: undefined, parse: nonEmpty,
    check: () => true, expect: 'a PEM file', doc: 'certificate chain (PEM): serve https and wss (with --tls-key)',
  },
  tlsKey: {
    flag: 'tls-key', env: 'VOXGATE_TLS_KEY', default: undefined, parse: nonEmpty,
    check: () => true, expect: 'a PEM file', doc: 'private key (PEM) of --tls-cert',
  },
  maxBufferedBytes: intField('max-buffered-bytes', 'VOXGATE_MAX_BUFFERED_BYTES', 262_144, 16_384, 64 * MIB, 'send buffer cap per connection'),
  slowConsumerGraceMs: intField('slow-consumer-grace-ms', 'VOXGATE_SLOW_CONSUMER_GRACE_MS', 5_000, 0, 600_000, 'time allowed above the send buffer cap'),
  shutdownGraceMs: intField('shutdown-grace-ms', 'VOXGATE_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000, 'time answers get to finish on SIGTERM'),
  retryAfterMs: intField('retry-after-ms', 'VOXGATE_RETRY_AFTER_MS', 2_000, 0, 600_000, 'retry advice when full or loading'),
  vocoderThread: threadField('vocoder-thread', 'VOXGATE_VOCODER_THREAD', 'worker', 'where answers are vocoded'),
  encoderThread: threadField('encoder-thread', 'VOXGATE_ENCODER_THREAD', 'worker', 'where speech is encoded into units'),
  vadThread: threadField('vad-thread', 'VOXGATE_VAD_THREAD', 'worker', 'where voice activity is scored'),
  lmLanes: intField('lm-lanes', 'VOXGATE_LM_LANES', DEFAULT_LM_LANES, 1, 16, 'LLM contexts decoding in parallel, a thread each'),
  logLevel: {
    flag: 'log-level', env: 'VOXGATE_LOG_LEVEL', default: 'info',
    parse: (raw) => ((LOG_LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : undefined),
    check: (v) => (LOG_LEVELS as readonly string[]).includes(v), expect: LOG_LEVELS.join(' | '), doc: 'log verbosity',
  },
  logTranscripts: {
    flag: 'log-transcripts', env: 'VOXGATE_LOG_TRANSCRIPTS', default: false, parse: bool, check: (v) => typeof v === 'boolean',
    expect: 'true or false', doc: "log what callers said and the answers (off: timings only)",
  },
  trustedProxies: {
    flag: 'trusted-proxies', env: 'VOXGATE_TRUSTED_PROXIES', default: undefined,
    parse: (raw) => {
      const list = raw.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
      return list.length === 0 ? undefined : list;
    },
    check: (v) => v === undefined || v.every((a) => /^[0-9A-Fa-f:.]+$/.test(a)), expect: 'comma-separated IP addresses',
    doc: 'balancer addresses whose X-Forwarded-For is believed',
  },
  redisUrl: {
    flag: 'redis', env: 'VOXGATE_REDIS_URL', default: undefined, parse: nonEmpty,
    check: (v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v), expect: 'a redis:// or rediss:// URL',
    doc: 'cluster mode: fleet admission, live calls and control in this Redis',
  },
  nodeId: {
    flag: 'node-id', env: 'VOXGATE_NODE_ID', default: undefined, parse: nonEmpty,
    check: (v) => v === undefined || /^[A-Za-z0-9._-]{1,64}$/.test(v), expect: 'letters, digits, . _ - (at most 64)',
    doc: "this node's name in the fleet (default: host name + suffix)",
  },
  fleetMaxCalls: intField('fleet-max-calls', 'VOXGATE_FLEET_MAX_CALLS', 0, 0, 1_000_000, 'calls the whole fleet may hold (0: no fleet cap)'),
  fleetLeaseMs: intField('fleet-lease-ms', 'VOXGATE_FLEET_LEASE_MS', 5_000, 500, 600_000, "a node's lease: a dead node's calls free after it"),
};

const KEYS = Object.keys(CONFIG_SCHEMA) as (keyof Config)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function defaultConfig(): Config {
  const out = {} as Record<keyof Config, unknown>;
  for (const key of KEYS) out[key] = CONFIG_SCHEMA[key].default;
  return out as Config;
}

/** Defaults plus overrides, checked against the same bounds as flags (tests and embedders build configs here). */
export function makeConfig(overrides: Partial<Config> = {}): Config {
  const config = { ...defaultConfig(), ...overrides };
  const problems: string[] = [];
  for (const key of KEYS) {
    const spec = CONFIG_SCHEMA[key] as FieldSpec<unknown>;
    if (!spec.check(config[key])) problems.push(`${key}: must be ${spec.expect}, got ${JSON.stringify(config[key])}`);
  }
  problems.push(...crossChecks(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Settings that are only valid together. */
function crossChecks(config: Config): string[] {
  return (config.tlsCert === undefined) === (config.tlsKey === undefined) ? [] : ['tlsCert and tlsKey: give both or neither'];
}

/** Flag names the config owns, for commands that parse flags of their own too. */
export const CONFIG_FLAGS: readonly string[] = KEYS.map((k) => CONFIG_SCHEMA[k].flag);

/**
 * Reads the config from flag values (`{ port: '9000', 'max-sessions': '4' }`, keyed by flag name) and the
 * environment. Throws ConfigError listing every bad value.
 */
export function loadConfig(flags: Readonly<Record<string, string | undefined>>, env: NodeJS.ProcessEnv): Config {
  const out = {} as Record<keyof Config, unknown>;
  const problems: string[] = [];
  for (const key of KEYS) {
    const spec = CONFIG_SCHEMA[key] as FieldSpec<unknown>;
    const fromFlag = flags[spec.flag];
    const fromEnv = env[spec.env];
    const raw = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (raw === undefined) {
      out[key] = spec.default;
      continue;
    }
    const value = spec.parse(raw);
    const source = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
    if (value === undefined || !spec.check(value)) {
      problems.push(`${source}: must be ${spec.expect}, got ${JSON.stringify(key === 'authToken' || key === 'authSecret' || key === 'redisUrl' ? '(hidden)' : raw)}`);
    } else {
      out[key] = value;
    }
  }
  if (problems.length === 0) problems.push(...crossChecks(out as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Config;
}

/** One line per setting: flag, environment variable, default, meaning. */
export function configHelp(): string {
  return KEYS.map((key) => {
    const s = CONFIG_SCHEMA[key];
    const dflt = key === 'modelDir' ? '(bundled model)' : s.default === undefined ? '(none)' : String(s.default);
    return `  --${s.flag.padEnd(26)} ${s.env.padEnd(34)} default ${dflt.padEnd(16)} ${s.doc}`;
  }).join('\n');
}
