// Polls the gateway's GET /metrics while the load runs and turns its cumulative counters into per-interval
// figures (CPU %, event-loop utilisation). A gateway without the endpoint gives no samples, and says why.
import { METRICS_JSON_PATH } from '../http/routes.ts';
import type { LlmBatchTotals } from '../runtimes/lm-sample-gate.ts';
import type { ServerSample } from './records.ts';

interface RawMetrics {
  timeMs: number;
  uptimeMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  cpuCores?: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopActiveMs: number;
  eventLoopIdleMs: number;
  eventLoopDelay: { p99Ms: number; maxMs: number };
  sessions: number;
  llmBatches?: LlmBatchTotals | null;
}

const MB = 1024 * 1024;

/** ws://host:port/v1/voice → http://host:port/metrics.json (wss → https): the JSON beside the Prometheus text. */
export function metricsUrlFor(voiceUrl: string): string {
  const u = new URL(voiceUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = METRICS_JSON_PATH;
  u.search = '';
  return u.toString();
}

/** One interval's figures from two consecutive raw samples. */
export function difference(prev: RawMetrics, cur: RawMetrics, atMs: number): ServerSample {
  const wallUs = Math.max(1, (cur.uptimeMs - prev.uptimeMs) * 1000);
  const cpuUs = cur.cpuUserUs - prev.cpuUserUs + (cur.cpuSystemUs - prev.cpuSystemUs);
  const active = cur.eventLoopActiveMs - prev.eventLoopActiveMs;
  const idle = cur.eventLoopIdleMs - prev.eventLoopIdleMs;
  return {
    atMs: Math.round(atMs),
    cpuPercent: Math.round((cpuUs / wallUs) * 1000) / 10,
    rssMb: Math.round((cur.rssBytes / MB) * 10) / 10,
    heapMb: Math.round((cur.heapUsedBytes / MB) * 10) / 10,
    sessions: cur.sessions,
    eventLoopP99Ms: cur.eventLoopDelay.p99Ms,
    eventLoopMaxMs: cur.eventLoopDelay.maxMs,
    eventLoopUtilization: active + idle > 0 ? Math.round((active / (active + idle)) * 1000) / 1000 : 0,
    ...batchesBetween(prev.llmBatches, cur.llmBatches),
  };
}

/** The LLM's batches between two samples, where both carry them. */
function batchesBetween(prev: LlmBatchTotals | null | undefined, cur: LlmBatchTotals | null | undefined): { llmBatches?: LlmBatchTotals } {
  if (prev == null || cur == null) return {};
  return {
    llmBatches: {
      batches: cur.batches - prev.batches,
      samplings: cur.samplings - prev.samplings,
      decodeMs: cur.decodeMs - prev.decodeMs,
      samplingMs: cur.samplingMs - prev.samplingMs,
    },
  };
}

export class ServerMetricsPoller {
  readonly samples: ServerSample[] = [];
  /** Why there are no samples, when there are none. */
  problem: string | undefined;
  /** The gateway host's CPU count, once known. */
  cores: number | undefined;
  private prev: RawMetrics | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(
    private readonly url: string,
    private readonly now: () => number,
    private readonly everyMs = 1000,
  ) {}

  get latest(): ServerSample | undefined {
    return this.samples.at(-1);
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }

  private async poll(): Promise<void> {
    if (this.inFlight) return; // a slow gateway gets one request at a time
    this.inFlight = true;
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(Math.max(200, this.everyMs - 100)) });
      if (!res.ok) {
        this.problem = `${this.url} answered HTTP ${res.status}`;
        return;
      }
      const cur = (await res.json()) as RawMetrics;
      if (this.prev !== undefined && cur.uptimeMs > this.prev.uptimeMs) this.samples.push(difference(this.prev, cur, this.now()));
      this.prev = cur;
      this.cores ??= cur.cpuCores;
      this.problem = undefined;
    } catch (err) {
      this.problem = `${this.url}: ${(err as Error).message}`;
    } finally {
      this.inFlight = false;
    }
  }
}

/** The gateway's /readyz answer: its model when ready, else why not (never throws). */
export async function fetchReadiness(voiceUrl: string): Promise<{ ready: boolean; model: string | null; detail: string }> {
  const url = new URL(metricsUrlFor(voiceUrl));
  url.pathname = '/readyz';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json().catch(() => ({}))) as { status?: string; model?: string };
    return { ready: res.ok, model: body.model ?? null, detail: `${url} answered ${res.status} ${body.status ?? ''}`.trim() };
  } catch (err) {
    return { ready: false, model: null, detail: `${url}: ${(err as Error).message}` };
  }
}
