// Flag parsing for the CLI commands: node:util parseArgs in strict mode, with errors a person can act on.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string;
};

export interface ParsedFlags<S extends Record<string, FlagSpec>> {
  values: FlagValues<S>;
  positionals: string[];
}

export function parseFlags<S extends Record<string, FlagSpec>>(argv: readonly string[], spec: S): ParsedFlags<S> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: true });
    return { values: values as FlagValues<S>, positionals };
  } catch (err) {
    // parseArgs messages name the flag ("Unknown option '--prot'"); keep them, drop the Node error code prefix.
    throw new UsageError((err as Error).message.replace(/^.*?: /, ''));
  }
}

/** Parses a decimal integer flag value, or throws UsageError naming the flag. */
export function intFlag(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}
