// Writes the report folder: loadtest.json (settings, summary, every call and turn, server samples) and
// loadtest.html (the page a person reads).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadResult } from '../run.ts';
import { toJsonSafe, type LoadSummary } from '../summary.ts';
import { reportHtml, type ReportMeta } from './html.ts';

export interface ReportPaths {
  json: string;
  html: string;
}

export async function writeReport(dir: string, result: LoadResult, summary: LoadSummary, meta: ReportMeta): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, 'loadtest.json'), html: join(dir, 'loadtest.html') };
  const data = { meta, summary: toJsonSafe(summary), ...result };
  await writeFile(paths.json, `${JSON.stringify(data, null, 1)}\n`);
  await writeFile(paths.html, reportHtml(result, summary, meta));
  return paths;
}
