import { describe, expect, it } from 'vitest';
import { parseAskArgs } from '../../server/src/cli/ask.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';

describe('voxgate ask arguments', () => {
  it('defaults to speech-to-speech for --wav and text-to-speech for --text, with the shipped model', () => {
    expect(parseAskArgs(['--wav', 'q.wav'])).toEqual({ wav: 'q.wav', mode: 'speech-to-speech', modelDir: DEFAULT_MODEL_DIR, json: false });
    expect(parseAskArgs(['--text', 'hi', '--json', '--model', 'm'])).toEqual({ text: 'hi', mode: 'text-to-speech', modelDir: 'm', json: true });
  });

  it('accepts every mode with its kind of input', () => {
    expect(parseAskArgs(['--wav', 'q.wav', '--mode', 'speech-to-text'])).toMatchObject({ mode: 'speech-to-text' });
    expect(parseAskArgs(['--text', 'x', '--mode', 'text-to-text'])).toMatchObject({ mode: 'text-to-text' });
    expect(parseAskArgs(['--text', 'x', '--mode', 'text-to-speech', '--out', 'a.wav'])).toMatchObject({ out: 'a.wav' });
  });

  it('rejects contradictions with a message that says what to do', () => {
    expect(() => parseAskArgs([])).toThrow(/exactly one of --wav FILE or --text/);
    expect(() => parseAskArgs(['--wav', 'a', '--text', 'b'])).toThrow(/exactly one/);
    expect(() => parseAskArgs(['--text', 'x', '--mode', 'speech-to-text'])).toThrow(/takes speech input; use --wav/);
    expect(() => parseAskArgs(['--wav', 'q', '--mode', 'loud'])).toThrow(/--mode must be one of/);
    expect(() => parseAskArgs(['--text', 'x', '--mode', 'text-to-text', '--out', 'a.wav'])).toThrow(/--out needs a mode that answers in speech/);
    expect(() => parseAskArgs(['--txt', 'x'])).toThrow(/Unknown option/);
  });
});
