import { describe, expect, it } from 'vitest';
import { wordErrors } from '../../server/src/loadtest/word-errors.ts';

describe('wordErrors', () => {
  it('counts substitutions, insertions and deletions over words', () => {
    expect(wordErrors('what is two plus three', 'what is two plus three')).toEqual({ errors: 0, words: 5 });
    expect(wordErrors('what is two plus three', 'what is ten plus three')).toEqual({ errors: 1, words: 5 });
    expect(wordErrors('spell house', 'spell the house now')).toEqual({ errors: 2, words: 2 });
    expect(wordErrors('count from one to five', 'count five')).toEqual({ errors: 3, words: 5 });
  });

  it('treats runs of spaces as one and an empty hypothesis as all deleted', () => {
    expect(wordErrors('  hello   there ', 'hello there')).toEqual({ errors: 0, words: 2 });
    expect(wordErrors('hello there', '')).toEqual({ errors: 2, words: 2 });
  });
});
