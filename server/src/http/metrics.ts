// GET /metrics.json (Prometheus text is /metrics, prometheus.ts): the process's CPU, memory and event-loop health beside the gateway's call counts, as one JSON
// object. CPU and event-loop busy time are cumulative counters: a reader differences two samples, so any number
// of readers can poll without disturbing each other. Event-loop delay is the last complete one-second window.
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { Gateway } from '../gateway/gateway.ts';
import type { LlmBatchTotals } from '../runtimes/lm-sample-gate.ts';

export interface GatewayMetrics {
  /** Wall clock of the sample (ms since the epoch) and process uptime, for differencing. */
  timeMs: number;
  uptimeMs: number;
  /** Cumulative CPU time of the process (all threads: onnxruntime and llama.cpp work counts here). */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** CPUs this process may use: 100 % CPU is one of them. */
  cpuCores: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** Cumulative time the event loop spent running code vs waiting, ms. */
  eventLoopActiveMs: number;
  eventLoopIdleMs: number;
  /** Timer lateness over the last complete window: how long a ready callback waited for the loop. */
  eventLoopDelay: { windowMs: number; p50Ms: number; p99Ms: number; maxMs: number };
  readiness: string;
  connections: number;
  sessions: number;
  callsTotal: number;
  refusedFull: number;
  maxSessions: number;
  /** The LLM's batches since start-up (cumulative; lm-sample-gate.ts), null before the engine loads or where untimed. */
  llmBatches: LlmBatchTotals | null;
}

const WINDOW_MS = 1000;
const NS_PER_MS = 1e6;
/** The histogram's timer period; its samples are whole periods, so the delay is what exceeds it. */
const RESOLUTION_MS = 10;

/** Samples event-loop delay in one-second windows; started on first use, its timer never holds the process. */
class LoopDelayWindow {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private last = { windowMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };

  constructor() {
    this.histogram.enable();
    const timer = setInterval(() => this.roll(), WINDOW_MS);
    timer.unref();
  }

  get lastWindow(): GatewayMetrics['eventLoopDelay'] {
    return this.last;
  }

  private roll(): void {
    const h = this.histogram;
    const ms = (ns: number) => (h.count === 0 ? 0 : Math.round(Math.max(0, ns / NS_PER_MS - RESOLUTION_MS) * 100) / 100);
    this.last = { windowMs: WINDOW_MS, p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    h.reset();
  }
}

let loopDelay: LoopDelayWindow | undefined;

export function gatewayMetrics(gateway: Gateway): GatewayMetrics {
  loopDelay ??= new LoopDelayWindow();
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const elu = performance.eventLoopUtilization();
  const stats = gateway.stats();
  return {
    timeMs: Date.now(),
    uptimeMs: Math.round(process.uptime() * 1000),
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    cpuCores: availableParallelism(),
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    externalBytes: mem.external,
    eventLoopActiveMs: Math.round(elu.active),
    eventLoopIdleMs: Math.round(elu.idle),
    eventLoopDelay: loopDelay.lastWindow,
    readiness: stats.readiness,
    connections: stats.connections,
    sessions: stats.sessions,
    callsTotal: stats.callsTotal,
    refusedFull: stats.refusedFull,
    maxSessions: gateway.config.maxSessions,
    llmBatches: gateway.engineGauges()?.llmBatches ?? null,
  };
}

