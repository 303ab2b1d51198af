// The fleet's control channel (Redis pub/sub): end a call, or let its answer finish and then end it, from any node
// or from `voxgate fleet`. Every node hears every message and acts on the calls it holds; a message for a call
// nobody holds is dropped (it already ended). Messages are validated: a malformed one is logged and ignored.
import type { createClient } from 'redis';
import type { Logger } from '../gateway/log.ts';
import { CONTROL_CHANNEL } from './scripts.ts';

export interface EndCallMessage {
  type: 'end';
  callId: string;
  /** true: stop new turns, let the answer in progress finish, then end (as a node drain does). */
  drain: boolean;
}

export type ControlMessage = EndCallMessage;

type Redis = ReturnType<typeof createClient>;

export function parseControl(raw: string): ControlMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  if (m['type'] !== 'end' || typeof m['callId'] !== 'string' || m['callId'].length === 0) return undefined;
  return { type: 'end', callId: m['callId'], drain: m['drain'] === true };
}

/** Publishes a control message; resolves with how many nodes heard it. */
export async function publishControl(redis: Redis, msg: ControlMessage): Promise<number> {
  return Number(await redis.publish(CONTROL_CHANNEL, JSON.stringify(msg)));
}

/**
 * Subscribes on a connection of its own (a subscribed connection can do nothing else), once Redis is reachable:
 * startup never waits for Redis, and the client renews the subscription after a reconnect. Returns the stop.
 */
export function subscribeControl(redis: Redis, log: Logger, onEnd: (msg: EndCallMessage) => void): () => Promise<void> {
  const sub = redis.duplicate();
  let subscribed = false;
  const listener = (raw: string): void => {
    const msg = parseControl(raw);
    if (msg === undefined) return log.warn('fleet control: malformed message ignored', { bytes: raw.length });
    onEnd(msg);
  };
  sub.on('error', (err: Error) => log.debug('fleet control: subscriber error', { err: err.message }));
  sub.on('ready', () => {
    if (subscribed) return;
    subscribed = true;
    sub.subscribe(CONTROL_CHANNEL, listener).catch(() => (subscribed = false));
  });
  sub.connect().catch(() => {});
  return async () => {
    await sub.close().catch(() => {});
  };
}
