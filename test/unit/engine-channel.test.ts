import { describe, expect, it } from 'vitest';
import { Channel, ChannelClosedError } from '../../server/src/pipeline/channel.ts';

describe('Channel', () => {
  it('delivers in order and ends after close once drained', async () => {
    const ch = new Channel<number>({ capacity: 4, policy: 'block' });
    await ch.send(1);
    await ch.send(2);
    ch.close();
    const got: number[] = [];
    for await (const x of ch) got.push(x);
    expect(got).toEqual([1, 2]);
  });

  it('blocks a sender while full until a receiver makes room', async () => {
    const ch = new Channel<number>({ capacity: 1, policy: 'block' });
    await ch.send(1);
    expect(ch.trySend(2)).toBe(false);
    let sent = false;
    const pending = ch.send(2).then(() => (sent = true));
    await Promise.resolve();
    expect(sent).toBe(false);
    expect((await ch.receive()).value).toBe(1);
    await pending;
    expect(sent).toBe(true);
    expect(ch.size).toBe(1);
  });

  it('drops the oldest item when full under drop-oldest and counts it', async () => {
    const ch = new Channel<number>({ capacity: 2, policy: 'drop-oldest' });
    for (const x of [1, 2, 3, 4]) expect(ch.trySend(x)).toBe(true);
    expect(ch.dropped).toBe(2);
    expect(ch.size).toBe(2);
    expect((await ch.receive()).value).toBe(3);
    expect((await ch.receive()).value).toBe(4);
  });

  it('hands an item straight to a waiting receiver', async () => {
    const ch = new Channel<string>({ capacity: 1, policy: 'block' });
    const r = ch.receive();
    ch.trySend('a');
    expect(await r).toEqual({ value: 'a', done: false });
  });

  it('clear() drops queued items and releases blocked senders', async () => {
    const ch = new Channel<number>({ capacity: 1, policy: 'block' });
    await ch.send(1);
    const blocked = ch.send(2);
    expect(ch.clear()).toBe(2);
    await blocked;
    expect(ch.size).toBe(0);
    expect(ch.dropped).toBe(2);
  });

  it('close() rejects blocked senders and ends waiting receivers', async () => {
    const ch = new Channel<number>({ capacity: 1, policy: 'block' });
    await ch.send(1);
    const blocked = ch.send(2);
    ch.close();
    await expect(blocked).rejects.toBeInstanceOf(ChannelClosedError);
    expect(ch.trySend(3)).toBe(false);
    const other = new Channel<number>({ capacity: 1, policy: 'block' });
    const r = other.receive();
    other.close();
    expect(await r).toEqual({ value: undefined, done: true });
  });

  it('wraps around its ring many times without growing', async () => {
    const ch = new Channel<number>({ capacity: 3, policy: 'block' });
    for (let i = 0; i < 100; i++) {
      await ch.send(i);
      expect((await ch.receive()).value).toBe(i);
    }
  });
});

describe('Channel with items that must not be dropped', () => {
  it('drops the oldest droppable item and keeps the others in order', async () => {
    type Item = { kind: 'audio' | 'commit'; n: number };
    const ch = new Channel<Item>({ capacity: 3, policy: 'drop-oldest', droppable: (x) => x.kind === 'audio' });
    ch.trySend({ kind: 'commit', n: 1 });
    ch.trySend({ kind: 'audio', n: 2 });
    ch.trySend({ kind: 'commit', n: 3 });
    expect(ch.trySend({ kind: 'audio', n: 4 })).toBe(true);
    expect(ch.dropped).toBe(1);
    const got: number[] = [];
    ch.close();
    for await (const x of ch) got.push(x.n);
    expect(got).toEqual([1, 3, 4]);
  });

  it('refuses an item when nothing queued may be dropped', () => {
    const ch = new Channel<string>({ capacity: 1, policy: 'drop-oldest', droppable: (x) => x !== 'commit' });
    ch.trySend('commit');
    expect(ch.trySend('audio')).toBe(false);
    expect(ch.size).toBe(1);
  });
});
