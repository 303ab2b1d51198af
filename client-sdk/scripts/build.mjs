// Builds dist/: tsc compiles src/ to ESM JavaScript and .d.ts, one file per source file. The sources import each
// other with .ts paths (the gateway runs them directly); tsc rewrites those in the JavaScript but leaves them in the
// declarations, where a consumer's compiler would look for .ts files we do not ship, so they are rewritten here.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

const RELATIVE_TS = /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g;
let rewritten = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(RELATIVE_TS, (_m, head, quote, path) => `${head}${quote}${path}.js${quote}`);
  if (fixed !== text) {
    writeFileSync(file, fixed);
    rewritten++;
  }
}
console.error(`voxgate-client: built ${dist} (${rewritten} declaration files with .ts imports rewritten)`);
