// voxgate fleet: what a fleet of gateway nodes holds, read from their Redis (nodes, leases, live calls), and
// control from anywhere: end a call, or let its answer finish and then end it.
import { createClient } from 'redis';
import { publishControl } from '../fleet/control.ts';
import { readFleet } from '../fleet/fleet-view.ts';
import { parseFlags, UsageError, type FlagSpec } from './args.ts';

const FLAGS: Record<string, FlagSpec> = {
  redis: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const HELP = `usage: voxgate fleet [list | end CALL_ID | drain CALL_ID] [--redis URL] [--json]

  list            nodes (lease left, calls) and live calls (node, start, transport); the default
  end CALL_ID     end a call now, on whichever node holds it (a normal close)
  drain CALL_ID   refuse the call's new turns, let its answer in progress finish, then end it
  --redis URL     the fleet's Redis (default: VOXGATE_REDIS_URL)
  --json          one JSON object on stdout`;

export async function runFleet(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (values['help']) {
    console.log(HELP);
    return 0;
  }
  const url = (values['redis'] as string | undefined) ?? process.env['VOXGATE_REDIS_URL'];
  if (url === undefined || url === '') throw new UsageError('--redis URL (or VOXGATE_REDIS_URL) is required');
  const [action = 'list', callId] = positionals;
  if (action !== 'list' && action !== 'end' && action !== 'drain') throw new UsageError(`unknown action '${action}' (list, end, drain)`);
  if (action !== 'list' && callId === undefined) throw new UsageError(`${action} needs a call id (voxgate fleet list shows them)`);
  const redis = createClient({ url, socket: { connectTimeout: 3_000, reconnectStrategy: false } });
  redis.on('error', () => {}); // connect() reports the failure
  try {
    await redis.connect();
  } catch (err) {
    console.error(`voxgate fleet: cannot reach redis: ${(err as Error).message}`);
    return 1;
  }
  try {
    if (action === 'list') {
      const view = await readFleet(redis);
      if (values['json']) console.log(JSON.stringify(view));
      else printFleet(view);
      return 0;
    }
    const heard = await publishControl(redis, { type: 'end', callId: callId ?? '', drain: action === 'drain' });
    console.log(values['json'] ? JSON.stringify({ action, callId, nodesListening: heard }) : `${action} ${callId}: sent to ${heard} listening node(s)`);
    return heard > 0 ? 0 : 1;
  } finally {
    await redis.close().catch(() => {});
  }
}

function printFleet(view: Awaited<ReturnType<typeof readFleet>>): void {
  console.log(`${view.nodes.length} node(s), ${view.calls.length} live call(s)`);
  for (const n of view.nodes) console.log(`  node ${n.id}  ${n.url ?? '(no url)'}  calls ${n.calls}  lease ${n.leaseLeftMs} ms`);
  const now = Date.now();
  for (const c of view.calls) console.log(`  call ${c.callId}  on ${c.node}  ${c.transport}  ${Math.round((now - c.startedAtMs) / 1000)} s`);
}
