// Hostile sockets for fault runs: flooders that send malformed messages as fast as the gateway lets them and
// reconnect when closed, and idlers that connect and send nothing (reconnecting when dropped). Bounded by a
// message budget and by stop(); 127.0.0.1 targets only. Local addresses may be spread over 127.0.0.0/8 so the
// gateway sees many callers' addresses, or all the same one.
import WebSocket from 'ws';
import { Rng } from '../rng.ts';
import { garbageMessage, type FaultEndpoint } from './garbage.ts';

export interface FloodTarget {
  endpoint: FaultEndpoint;
  url: string;
  /** Source addresses for this target's sockets, instead of the flood's. */
  localAddresses?: readonly string[];
}

export interface FloodOptions {
  targets: readonly FloodTarget[];
  flooders: number;
  idlers: number;
  /** Source addresses, used in turn. */
  localAddresses: readonly string[];
  /** Malformed messages in all; flooders stop when it is spent. */
  maxMessages: number;
  /** Messages per flooder per 10 ms tick. */
  burst: number;
  maxMessageBytes: number;
  seed: number;
  headers?: Record<string, string>;
}

export interface FloodTally {
  messagesSent: number;
  connectionsOpened: number;
  /** How the gateway ended the hostile connections: close code → count. */
  closeCodes: Record<string, number>;
  /** Malformed messages by kind. */
  kinds: Record<string, number>;
  /** Connections the gateway refused before the upgrade (HTTP status → count). */
  refusedUpgrades: Record<string, number>;
}

const TICK_MS = 10;

export class Flood {
  private readonly tally: FloodTally = { messagesSent: 0, connectionsOpened: 0, closeCodes: {}, kinds: {}, refusedUpgrades: {} };
  private readonly sockets = new Set<WebSocket>();
  private stopped = false;
  private readonly rng: Rng;
  private readonly done: Promise<void>[] = [];

  constructor(private readonly opts: FloodOptions) {
    this.rng = new Rng(opts.seed);
  }

  get figures(): FloodTally {
    return this.tally;
  }

  start(): void {
    const { flooders, idlers, targets, localAddresses } = this.opts;
    for (let i = 0; i < flooders + idlers; i++) {
      const target = targets[i % targets.length]!;
      const from = target.localAddresses ?? localAddresses;
      const localAddress = from[Math.floor(i / targets.length) % from.length]!;
      this.done.push(this.loop(target, localAddress, i < flooders));
    }
  }

  /** Resolves once the message budget is spent (idlers keep going until stop()). */
  async budgetSpent(): Promise<void> {
    while (!this.stopped && this.tally.messagesSent < this.opts.maxMessages) await sleep(50);
  }

  async stop(): Promise<FloodTally> {
    this.stopped = true;
    for (const ws of this.sockets) ws.terminate();
    await Promise.all(this.done);
    return this.tally;
  }

  private async loop(target: FloodTarget, localAddress: string, floods: boolean): Promise<void> {
    while (!this.stopped) {
      await this.oneConnection(target, localAddress, floods);
      // A reconnecting client, a few times a second: what a broken app in a retry loop does.
      await sleep(floods ? 20 : 300);
    }
  }

  private oneConnection(target: FloodTarget, localAddress: string, floods: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const ws = new WebSocket(target.url, { localAddress, headers: this.opts.headers ?? {}, perMessageDeflate: false });
      this.sockets.add(ws);
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearInterval(timer);
        this.sockets.delete(ws);
        resolve();
      };
      ws.on('unexpected-response', (_req, res) => {
        const key = String(res.statusCode);
        this.tally.refusedUpgrades[key] = (this.tally.refusedUpgrades[key] ?? 0) + 1;
        res.resume();
        ws.terminate();
      });
      ws.on('error', () => {});
      ws.on('message', () => {});
      ws.on('close', (code) => {
        const key = String(code);
        this.tally.closeCodes[key] = (this.tally.closeCodes[key] ?? 0) + 1;
        finish();
      });
      ws.on('open', () => {
        this.tally.connectionsOpened++;
        if (!floods) return;
        timer = setInterval(() => this.sendBurst(ws, target.endpoint), TICK_MS);
      });
    });
  }

  private sendBurst(ws: WebSocket, endpoint: FaultEndpoint): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    for (let i = 0; i < this.opts.burst; i++) {
      if (this.tally.messagesSent >= this.opts.maxMessages) return;
      // A client that does not read what it is told still must not grow our memory: bounded by the kernel here.
      if (ws.bufferedAmount > 1 << 20) return;
      const msg = garbageMessage(this.rng, endpoint, this.opts.maxMessageBytes);
      ws.send(msg.data, { binary: typeof msg.data !== 'string' && msg.asText !== true });
      this.tally.messagesSent++;
      this.tally.kinds[msg.kind] = (this.tally.kinds[msg.kind] ?? 0) + 1;
    }
  }
}

export interface GatewayUrls {
  voiceUrl: string;
  phoneUrl: string;
  realtimeUrl: string;
}

/**
 * Every WebSocket endpoint as a flood target. Voice-protocol garbage never starts a session, so its sockets share
 * the real callers' address; a phone stream's `start` needs little more than its name and any valid Realtime event
 * opens a session, so random garbage there sometimes does: those sockets come from addresses of their own
 * (`sessionAddresses` each), where the per-address cap bounds what they hold.
 */
export function everyEndpoint(urls: GatewayUrls, sessionAddresses: number): FloodTarget[] {
  return [
    { endpoint: 'voice', url: urls.voiceUrl },
    { endpoint: 'twilio', url: urls.phoneUrl, localAddresses: loopbackAddresses(sessionAddresses, 30) },
    { endpoint: 'realtime', url: urls.realtimeUrl, localAddresses: loopbackAddresses(sessionAddresses, 40) },
  ];
}

/** Source addresses 127.0.0.<first>..<first+count-1>: distinct callers as the gateway sees them, all on loopback. */
export function loopbackAddresses(count: number, first = 2): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
