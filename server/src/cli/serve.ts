// voxgate serve: config → engine (loading in the background) → HTTP + WebSocket server; SIGTERM drains it.
import { ConfigError, CONFIG_SCHEMA, configHelp, loadConfig, type Config } from '../config.ts';
import type { Engine } from '../engine/types.ts';
import { createLogger, type Logger } from '../gateway/log.ts';
import { subscribeControl } from '../fleet/control.ts';
import { FleetNode } from '../fleet/fleet-node.ts';
import { startServer } from '../http/server.ts';
import { attachBrowserEndpoints } from '../http/webrtc-attach.ts';
import { parseFlags, UsageError, type FlagSpec } from './args.ts';

type EngineFactory = (opts: { modelDir: string; maxSessions: number; vocoderThread: 'worker' | 'inline'; encoderThread: 'worker' | 'inline'; vadThread: 'worker' | 'inline'; lmLanes: number }) => Promise<Engine>;

const FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(Object.values(CONFIG_SCHEMA).map((s) => [s.flag, { type: 'string' } as FlagSpec])),
};

const HELP = `usage: voxgate serve [flags]

Every setting is a flag or an environment variable (flag wins):
${configHelp()}

Ready for calls once /readyz answers 200. SIGTERM or SIGINT: stop accepting, let answers in progress
finish (--shutdown-grace-ms), close sessions with 1001, exit 0.

Cluster mode (--redis URL): sessions are claimed against fleet-wide caps in Redis (--fleet-max-calls, per-token
caps), live calls are registered there (voxgate fleet lists them), /readyz says 503 when this node is full or
draining, and a drained node releases its lease. Redis unreachable: this node admits on its own caps and says
so in /readyz and voxgate_fleet_redis_up. docs/fleet.md.`;

/** The engine factory, imported lazily: the model stack loads only for serve, and its absence is explained. */
async function loadEngineFactory(): Promise<EngineFactory> {
  try {
    const mod = await import('../engine/create-engine.ts');
    return mod.createEngine;
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`the model engine is not available (server/src/engine/create-engine.ts or a dependency is missing): ${(err as Error).message}`);
    }
    throw err;
  }
}

export async function runServe(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values['help']) {
    console.log(HELP);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(values as Record<string, string | undefined>, process.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const log = createLogger(config.logLevel);
  const createEngine = await loadEngineFactory();
  const t0 = performance.now();
  const engine = createEngine({ modelDir: config.modelDir, maxSessions: config.maxSessions, vocoderThread: config.vocoderThread, encoderThread: config.encoderThread, vadThread: config.vadThread, lmLanes: config.lmLanes });
  engine.catch(() => {}); // reported below, after the server is up

  const fleet = config.redisUrl === undefined ? undefined : joinFleet(config, log);
  const server = await startServer({ config, engine, log, ...(fleet === undefined ? {} : { fleet: fleet.node }) });
  if (fleet !== undefined) fleet.node.url = server.httpUrl;
  const stopControl = fleet === undefined ? undefined : subscribeControl(fleet.node.redis, log, (msg) => {
    if (server.gateway.endCall(msg.callId, msg.drain)) log.info('fleet control: call ended', { callId: msg.callId, drain: msg.drain });
  });
  const browser = attachBrowserEndpoints(server, { log });
  log.info('listening', {
    url: server.voiceUrl,
    phone: server.phoneUrl,
    realtime: server.realtimeUrl,
    webrtc: browser.webrtcUrl,
    page: browser.pageUrl,
    health: `${server.httpUrl}/healthz`,
    modelDir: config.modelDir,
    maxSessions: config.maxSessions,
  });

  let shuttingDown = false;
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (shuttingDown) {
        log.warn('second signal: exiting now', { signal });
        process.exit(130);
      }
      shuttingDown = true;
      log.info('shutting down', { signal, graceMs: config.shutdownGraceMs });
      void (async () => {
        await server.close(config.shutdownGraceMs);
        // Drained: this node's lease and registry entries go now, not when the lease would expire.
        await fleet?.node.leave();
        await stopControl?.();
        await engine.then((e) => e.close(), () => {});
        log.info('stopped');
        resolve(0);
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  try {
    const loaded = await engine;
    log.info('ready', { model: loaded.modelName, loadMs: Math.round(performance.now() - t0) });
  } catch (err) {
    log.error('model failed to load', { err: err instanceof Error ? err.message : String(err) });
    await server.close(0);
    await fleet?.node.leave();
    await stopControl?.();
    return 1;
  }
  return stopped;
}

/** Cluster mode: this node's membership of the fleet (the Redis URL is never logged: it may hold a password). */
function joinFleet(config: Config, log: Logger): { node: FleetNode } {
  const node = new FleetNode({ redisUrl: config.redisUrl ?? '', nodeId: config.nodeId, fleetMaxCalls: config.fleetMaxCalls, leaseMs: config.fleetLeaseMs, log });
  log.info('fleet: joining', { node: node.nodeId, fleetMaxCalls: config.fleetMaxCalls, leaseMs: config.fleetLeaseMs });
  return { node };
}
