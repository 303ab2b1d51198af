// Answer units for the benches that time the vocoder: pseudo-random spoken units, no two alike in a row (merged,
// as the LM speaks them). A model's heard units are not its spoken ones when manifest units.tokenOffset > 0, so
// the units of recorded speech cannot stand in for an answer.
import { Rng } from '../server/src/loadtest/rng.ts';

export function pseudoAnswerUnits(count: number, spokenUnitCount: number, seed = 12345): number[] {
  const rng = new Rng(seed);
  const units: number[] = [];
  while (units.length < count) {
    const unit = Math.floor(rng.next() * spokenUnitCount);
    if (unit !== units[units.length - 1]) units.push(unit);
  }
  return units;
}
