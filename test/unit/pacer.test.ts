// The pacer against a simulated clock: real time plus the lead, marks kept in order, clear() on interruption.
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../server/src/codec/pacer.ts';
import { RingQueue } from '../../server/src/codec/ring-queue.ts';

const FRAME_MS = 20;

function queued(leadMs: number, frames: number): Pacer<number> {
  const p = new Pacer<number>({ leadMs, capacity: 1000 });
  for (let i = 0; i < frames; i++) p.push(i, FRAME_MS);
  return p;
}

describe('pacer', () => {
  it('sends the lead at once, then one frame per frame duration', () => {
    const p = queued(100, 50);
    expect(p.take(0)).toEqual([0, 1, 2, 3, 4]); // 100 ms ahead
    expect(p.aheadMs(0)).toBe(100);
    expect(p.take(10)).toEqual([]);
    expect(p.nextDueMs(10)).toBe(20);
    expect(p.take(20)).toEqual([5]);
    expect(p.take(40)).toEqual([6]);
  });

  it('never runs more than the lead ahead of real time, and never falls behind it', () => {
    const leadMs = 150;
    const p = queued(leadMs, 100); // 2 s of audio
    let sent = 0;
    for (let now = 0; now <= 2000; now++) {
      sent += p.take(now).length;
      const sentMs = sent * FRAME_MS;
      expect(sentMs).toBeLessThanOrEqual(now + leadMs);
      if (sent < 100) expect(sentMs).toBeGreaterThanOrEqual(now + leadMs - FRAME_MS);
    }
    expect(sent).toBe(100);
    expect(p.nextDueMs(2000)).toBeUndefined();
  });

  it('delivers zero-duration marks right after the audio before them', () => {
    const p = new Pacer<string>({ leadMs: 40, capacity: 10 });
    p.push('a1', 20);
    p.push('a2', 20);
    p.push('a3', 20);
    p.push('end', 0);
    expect(p.take(0)).toEqual(['a1', 'a2']);
    expect(p.take(20)).toEqual(['a3', 'end']);
  });

  it('sends a mark at once when nothing is queued before it', () => {
    const p = new Pacer<string>({ leadMs: 0, capacity: 10 });
    p.push('done', 0);
    expect(p.nextDueMs(5)).toBe(5);
    expect(p.take(5)).toEqual(['done']);
  });

  it('clear() drops everything queued and the next answer starts without waiting', () => {
    const p = queued(100, 50);
    p.take(0);
    expect(p.clear()).toBe(45);
    expect(p.queuedItems).toBe(0);
    expect(p.queuedAudioMs).toBe(0);
    p.push(99, FRAME_MS);
    expect(p.take(1)).toEqual([99]);
  });

  it('restarts from now after an underrun instead of bursting to catch up', () => {
    const p = queued(40, 2);
    expect(p.take(0)).toEqual([0, 1]);
    for (let i = 0; i < 10; i++) p.push(10 + i, FRAME_MS);
    expect(p.take(1000)).toEqual([10, 11]); // only the lead, not the 960 ms "missed"
  });

  it('refuses items beyond its capacity', () => {
    const p = new Pacer<number>({ leadMs: 0, capacity: 2 });
    expect(p.push(1, 20)).toBe(true);
    expect(p.push(2, 20)).toBe(true);
    expect(p.push(3, 20)).toBe(false);
    expect(p.queuedAudioMs).toBe(40);
  });
});

describe('ring queue', () => {
  it('is a bounded FIFO that wraps around', () => {
    const q = new RingQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(5)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 5, undefined]);
    q.push(6);
    expect(q.clear()).toBe(1);
    expect(q.length).toBe(0);
  });

  it('grows its storage in order while wrapped, up to the capacity', () => {
    const q = new RingQueue<number>(1000);
    for (let i = 0; i < 50; i++) q.push(i);
    for (let i = 0; i < 40; i++) q.shift(); // head now deep inside the first block
    for (let i = 50; i < 1070; i++) q.push(i); // wraps, then grows several times; the last 30 are refused
    expect(q.length).toBe(1000);
    const out: number[] = [];
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i + 40));
  });
});
