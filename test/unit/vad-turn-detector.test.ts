import { describe, expect, it } from 'vitest';
import { TurnDetector, type TurnEvent } from '../../server/src/pipeline/turn-detector.ts';

function feed(d: TurnDetector, probs: number[]): TurnEvent[] {
  return probs.flatMap((p) => d.push(p));
}

describe('TurnDetector', () => {
  it('starts after minSpeechMs of speech and stops after endOfSpeechSilenceMs of silence', () => {
    const d = new TurnDetector({ frameMs: 10, minSpeechMs: 30, endOfSpeechSilenceMs: 50 });
    expect(feed(d, [0, 0, 0.9, 0.9])).toEqual([]);
    expect(feed(d, [0.9])).toEqual([{ type: 'speech.started', atMs: 50, speechStartMs: 20 }]);
    expect(feed(d, [0.9, 0, 0, 0, 0])).toEqual([]);
    expect(feed(d, [0])).toEqual([{ type: 'speech.stopped', atMs: 110, lastSpeechEndMs: 60 }]);
    expect(d.inSpeech).toBe(false);
  });

  it('ignores clicks shorter than minSpeechMs', () => {
    const d = new TurnDetector({ frameMs: 32, minSpeechMs: 64 });
    expect(feed(d, [0.9, 0, 0.9, 0, 0.9, 0])).toEqual([]);
  });

  it('keeps the turn through pauses shorter than the end-of-speech silence', () => {
    const d = new TurnDetector({ frameMs: 10, endOfSpeechSilenceMs: 100 });
    const events = feed(d, [0.9, ...Array<number>(9).fill(0), 0.9, ...Array<number>(10).fill(0)]);
    expect(events.map((e) => e.type)).toEqual(['speech.started', 'speech.stopped']);
    expect(events[1]).toMatchObject({ lastSpeechEndMs: 110 });
  });

  it('holds state on probabilities between the thresholds without restarting the silence timer', () => {
    const d = new TurnDetector({ frameMs: 10, startThreshold: 0.5, stopThreshold: 0.35, endOfSpeechSilenceMs: 30 });
    feed(d, [0.9]);
    expect(feed(d, [0.4, 0.4, 0.4, 0.4])).toEqual([]);
    // Silence starts at 0.2 and is not reset by 0.4.
    expect(feed(d, [0.2, 0.4])).toEqual([]);
    expect(feed(d, [0.4])).toEqual([{ type: 'speech.stopped', atMs: 80, lastSpeechEndMs: 10 }]);
  });

  it('flush stops an open turn', () => {
    const d = new TurnDetector({ frameMs: 10 });
    feed(d, [0.9, 0.9]);
    expect(d.flush()).toEqual([{ type: 'speech.stopped', atMs: 20, lastSpeechEndMs: 20 }]);
    expect(d.flush()).toEqual([]);
  });
});

describe('TurnDetector.reset', () => {
  it('lets speech that goes on after a client commit start a new turn', () => {
    const d = new TurnDetector({ frameMs: 10 });
    expect(feed(d, [0.9]).map((e) => e.type)).toEqual(['speech.started']);
    d.reset();
    expect(d.inSpeech).toBe(false);
    expect(feed(d, [0.9])).toEqual([{ type: 'speech.started', atMs: 20, speechStartMs: 10 }]);
  });
});
