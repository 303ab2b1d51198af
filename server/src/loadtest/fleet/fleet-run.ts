// A whole fleet on one machine for tests and benches: Debian's redis-server, N `voxgate serve --redis` nodes (real
// processes on the real model), and nginx in front with deploy/nginx's configuration. 127.0.0.1 only. Which
// node started which session is read from the nodes' own logs.
import { createClient } from 'redis';
import { startServeChild, type ServeChild } from '../serve-child.ts';
import { startNginx, type NginxChild } from './nginx-child.ts';
import { startRedis, type RedisChild } from './redis-child.ts';

export interface FleetSpec {
  nodes: number;
  maxSessionsPerNode: number;
  fleetMaxCalls: number;
  leaseMs: number;
  shutdownGraceMs: number;
  /** Extra `voxgate serve` flags (a model folder). */
  extraArgs?: readonly string[];
}

export interface RunningFleet {
  readonly redis: RedisChild;
  readonly admin: ReturnType<typeof createClient>;
  readonly nodes: ServeChild[];
  readonly nodeIds: string[];
  readonly nginx: NginxChild;
  /** ws://nginx/v1/voice */
  readonly voiceUrl: string;
  /** The node (index) whose log says it started this session. */
  nodeOfSession(sessionId: string): number | undefined;
  stop(): Promise<void>;
}

export async function startFleet(spec: FleetSpec): Promise<RunningFleet> {
  const redis = await startRedis();
  const nodeIds = Array.from({ length: spec.nodes }, (_, i) => `node-${i}`);
  const started: ServeChild[] = [];
  const admin = createClient({ url: redis.url });
  admin.on('error', () => {});
  try {
    await admin.connect();
    // One at a time: on a small machine three models loading at once only slow each other.
    for (const id of nodeIds) {
      started.push(
        await startServeChild([
          '--redis', redis.url, '--node-id', id,
          '--max-sessions', String(spec.maxSessionsPerNode),
          '--fleet-max-calls', String(spec.fleetMaxCalls),
          '--fleet-lease-ms', String(spec.leaseMs),
          '--shutdown-grace-ms', String(spec.shutdownGraceMs),
          // Behind nginx every caller comes from 127.0.0.1: per-address caps are not the subject here.
          '--trusted-proxies', '127.0.0.1', '--max-pending-per-ip', '256', '--max-pending-connections', '256',
          '--log-level', 'info',
          ...(spec.extraArgs ?? []),
        ]),
      );
    }
  } catch (err) {
    for (const n of started) n.process.kill('SIGKILL');
    await admin.close().catch(() => {});
    await redis.stop();
    throw err;
  }
  const nginx = await startNginx(started.map((n) => Number(new URL(n.httpUrl).port)));
  return {
    redis,
    admin,
    nodes: started,
    nodeIds,
    nginx,
    voiceUrl: `${nginx.wsBase}/v1/voice`,
    nodeOfSession(sessionId) {
      const i = started.findIndex((n) => n.logs.some((l) => l['msg'] === 'session started' && l['sessionId'] === sessionId));
      return i < 0 ? undefined : i;
    },
    async stop() {
      for (const n of started) if (n.process.exitCode === null && n.process.signalCode === null) n.process.kill('SIGKILL');
      await Promise.all(started.map((n) => n.exited));
      await nginx.stop();
      await admin.close().catch(() => {});
      await redis.stop();
    },
  };
}
