// What a phone caller heard, from the provider's marks: a pure core with a fake clock.
import { describe, expect, it } from 'vitest';
import { MarkPlayout } from '../../server/src/transport/mark-playout.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('mark playout', () => {
  it('heard = audio up to the last acknowledged mark; an ack confirms the marks before it too', () => {
    const c = clock();
    const p = new MarkPlayout(c.now);
    const m1 = p.sent('t1', 60);
    p.sent('t1', 60);
    const m3 = p.sent('t1', 60);
    expect(p.heardMs('t1')).toBe(0);
    expect(p.playing('t1')).toBe(true);
    p.acknowledge(m1);
    expect(p.heardMs('t1')).toBe(60);
    p.acknowledge(m3);
    expect(p.heardMs('t1')).toBe(180);
    expect(p.playing('t1')).toBe(false);
    expect(p.acknowledged).toBe(2);
  });

  it('after clear, marks of the dropped audio that come back are ignored: they were never heard', () => {
    const c = clock();
    const p = new MarkPlayout(c.now);
    const m1 = p.sent('t1', 60);
    const m2 = p.sent('t1', 60);
    p.acknowledge(m1);
    p.cleared();
    p.acknowledge(m2); // the provider returns pending marks on clear
    expect(p.heardMs('t1')).toBe(60);
    expect(p.playing('t1')).toBe(false);
    expect(p.ignored).toBe(1);
  });

  it('a provider that never acknowledges: a mark counts as played once its ack is long overdue', () => {
    const c = clock();
    const p = new MarkPlayout(c.now, 5_000);
    p.sent('t1', 60);
    c.advance(4_000);
    expect(p.playing('t1')).toBe(true);
    c.advance(1_001);
    expect(p.playing('t1')).toBe(false);
    expect(p.heardMs('t1')).toBe(60);
  });

  it('keeps turns apart', () => {
    const c = clock();
    const p = new MarkPlayout(c.now);
    const a = p.sent('t1', 60);
    p.sent('t2', 40);
    p.acknowledge(a);
    expect([p.heardMs('t1'), p.heardMs('t2')]).toEqual([60, 0]);
    expect([p.playing('t1'), p.playing('t2')]).toEqual([false, true]);
  });
});
