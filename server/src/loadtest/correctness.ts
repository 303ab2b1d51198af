// Is an answer right? Texts are compared as the model writes them: lower case words, no punctuation.

/** Lower case, apostrophes kept, every other non-letter/digit a space, spaces collapsed. */
export function normalizeText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface Verdict {
  transcriptOk: boolean;
  answerOk: boolean;
}

export function judge(expected: { transcript: string; answer: string }, got: { transcript: string; answer: string }): Verdict {
  return {
    transcriptOk: normalizeText(expected.transcript) === normalizeText(got.transcript),
    answerOk: normalizeText(expected.answer) === normalizeText(got.answer),
  };
}
