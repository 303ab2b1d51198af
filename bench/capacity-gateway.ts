// The gateway under test for the capacity bench: `voxgate serve` in its own process on 127.0.0.1 (so its CPU is
// its own and the load generator's is not counted), on a free port, with room for more sessions than any step
// uses (admission must not be what limits). Stopped with SIGTERM, killed if it does not exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../server/src/loadtest/fleet/processes.ts';

export interface GatewayProcess {
  voiceUrl: string;
  httpUrl: string;
  /** Lines the gateway wrote on stderr (its log), the last ones. */
  logTail(): string[];
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../bin/voxgate.js', import.meta.url));
/** The same CLI with the capacity prototypes switched on by environment (bench/capacity-prototypes.ts). */
const PROTOTYPES_ENTRY = fileURLToPath(new URL('./capacity-prototypes.ts', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_LINES = 40;

export async function startGateway(opts: { modelDir?: string; maxSessions: number; nodeArgs?: string[]; vocoderInline?: boolean; encoderInline?: boolean; secondChunkUnits?: number }): Promise<GatewayProcess> {
  const port = await freePort();
  const entry = opts.secondChunkUnits ? ['--import', 'tsx', PROTOTYPES_ENTRY] : [BIN];
  const args = [...(opts.nodeArgs ?? []), ...entry, 'serve', '--host', '127.0.0.1', '--port', String(port), '--max-sessions', String(opts.maxSessions), '--log-level', 'warn'];
  if (opts.modelDir !== undefined) args.push('--model', opts.modelDir);
  if (opts.vocoderInline) args.push('--vocoder-thread', 'inline');
  if (opts.encoderInline) args.push('--encoder-thread', 'inline');
  const env = {
    ...process.env,
    ...(opts.secondChunkUnits ? { VOXGATE_BENCH_SECOND_CHUNK_UNITS: String(opts.secondChunkUnits) } : {}),
  };
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  const log: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
    if (log.length > LOG_LINES) log.splice(0, log.length - LOG_LINES);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${port}`;
  const gateway: GatewayProcess = {
    voiceUrl: `ws://127.0.0.1:${port}/v1/voice`,
    httpUrl,
    logTail: () => [...log],
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}) before it was ready:\n${log.join('\n')}`);
    const ok = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return gateway;
    await new Promise((r) => setTimeout(r, 250));
  }
  await gateway.stop();
  throw new Error(`the gateway was not ready within ${READY_TIMEOUT_MS} ms:\n${log.join('\n')}`);
}
