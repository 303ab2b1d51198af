// The load tester's questions: pre-rendered WAVs with the transcript and answer the model should give
// (bench/utterances/index.json, written by bench/utterances/render.py).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWav } from '../../../client-sdk/src/node/wav.ts';

export const DEFAULT_UTTERANCES_DIR = fileURLToPath(new URL('../../../bench/utterances/', import.meta.url));
/** The rate callers speak at: the engine's input rate, so no resampling on either side. */
export const UTTERANCE_RATE_HZ = 16000;

export interface Utterance {
  id: string;
  skill: string;
  /** What the caller says; the transcript the model should return. */
  transcript: string;
  answer: string;
  voice: string;
  /** 16 kHz mono float32. */
  pcm: Float32Array;
  durationMs: number;
}

interface IndexEntry {
  id: string;
  file: string;
  skill: string;
  transcript: string;
  answer: string;
  voice?: string;
}

export class UtteranceError extends Error {
  override name = 'UtteranceError';
}

/** Loads the index and every WAV it names; `only` keeps the ids (or skills) listed, in index order. */
export async function loadUtterances(dir: string, only?: readonly string[]): Promise<Utterance[]> {
  let index: { utterances?: unknown };
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { utterances?: unknown };
  } catch (err) {
    throw new UtteranceError(`${join(dir, 'index.json')}: ${(err as Error).message}`);
  }
  if (!Array.isArray(index.utterances)) throw new UtteranceError(`${dir}/index.json has no "utterances" array`);
  const entries = (index.utterances as IndexEntry[]).filter((e) => only === undefined || only.includes(e.id) || only.includes(e.skill));
  if (entries.length === 0) throw new UtteranceError(`no utterances in ${dir}${only ? ` match ${only.join(',')}` : ''}`);
  return Promise.all(entries.map((e) => loadOne(dir, e)));
}

async function loadOne(dir: string, e: IndexEntry): Promise<Utterance> {
  for (const key of ['id', 'file', 'skill', 'transcript', 'answer'] as const) {
    if (typeof e[key] !== 'string') throw new UtteranceError(`${dir}/index.json: an entry has no string "${key}"`);
  }
  const path = join(dir, e.file);
  let wav;
  try {
    wav = parseWav(await readFile(path));
  } catch (err) {
    throw new UtteranceError(`${path}: ${(err as Error).message}`);
  }
  if (wav.sampleRateHz !== UTTERANCE_RATE_HZ) throw new UtteranceError(`${path}: ${wav.sampleRateHz} Hz; the load tester streams ${UTTERANCE_RATE_HZ} Hz`);
  return {
    id: e.id,
    skill: e.skill,
    transcript: e.transcript,
    answer: e.answer,
    voice: e.voice ?? '',
    pcm: wav.pcm,
    durationMs: Math.round((wav.pcm.length * 1000) / UTTERANCE_RATE_HZ),
  };
}
