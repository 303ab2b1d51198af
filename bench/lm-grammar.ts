// What constrained decoding (the answer grammar, pipeline/answer-grammar.ts) costs per token: the same typed
// questions decoded by plain greedy and under the grammar, alternating in one run, one sequence at a time.
// Prints ms per decode step for each and their ratio per run; last line: JSON.
//   npx tsx bench/lm-grammar.ts [--model DIR] [--runs 3]
import { parseArgs } from 'node:util';
import { EngineModel } from '../server/src/engine/model.ts';
import { DEFAULT_MODEL_DIR, type Mode } from '../server/src/runtimes/manifest.ts';

const QUESTIONS = ['count from one to five', 'repeat after me the cat sat on the mat', 'spell house', 'what can you do'];
const MODE: Mode = 'text-to-speech';

/** Decode ms per step (the first step, which carries the prompt, left out) over all questions. */
async function decodeMsPerToken(model: EngineModel, constrained: boolean): Promise<{ msPerToken: number; tokens: number }> {
  let ms = 0;
  let tokens = 0;
  for (const q of QUESTIONS) {
    const seq = model.lm.acquireSequence();
    try {
      const p = model.prompt(MODE);
      const parser = model.newParser(MODE);
      const rule = constrained ? () => parser.forbiddenNext() : undefined;
      let last: number | undefined;
      for await (const t of model.lm.greedy(seq, [...p.before, ...model.textTokens(q), ...p.after], model.maxAnswerTokens(MODE), undefined, undefined, rule)) {
        const now = performance.now();
        if (last !== undefined) (ms += now - last), tokens++;
        parser.push({ id: t, text: model.tokenText(t) });
        last = performance.now();
      }
    } finally {
      await seq.release();
    }
  }
  return { msPerToken: ms / Math.max(1, tokens), tokens };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string', default: DEFAULT_MODEL_DIR }, runs: { type: 'string', default: '3' } } });
  const model = await EngineModel.load(values.model, { sequences: 1, vad: 'off', vocoderThread: 'inline' });
  try {
    await decodeMsPerToken(model, true); // warm-up
    const runs: { plainMsPerToken: number; grammarMsPerToken: number; ratio: number; tokens: number }[] = [];
    for (let r = 0; r < Number(values.runs); r++) {
      const plain = await decodeMsPerToken(model, false);
      const grammar = await decodeMsPerToken(model, true);
      const ratio = grammar.msPerToken / plain.msPerToken;
      runs.push({ plainMsPerToken: plain.msPerToken, grammarMsPerToken: grammar.msPerToken, ratio, tokens: grammar.tokens });
      console.log(`run ${r + 1}: plain ${plain.msPerToken.toFixed(3)} ms/token, under the grammar ${grammar.msPerToken.toFixed(3)} ms/token (${grammar.tokens} tokens), ratio ${ratio.toFixed(3)}`);
    }
    console.log(JSON.stringify({ model: model.name, mode: MODE, runs }));
  } finally {
    await model.close();
  }
}

await main();
