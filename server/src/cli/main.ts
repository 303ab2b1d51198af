// voxgate <command> [flags]: the CLI entry (bin/voxgate.js runs it through tsx). Commands load lazily, so
// `voxgate call` never loads the model stack and a command whose module is absent fails with a clear message.
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.ts';

type Run = (argv: string[]) => Promise<number>;

interface Command {
  summary: string;
  load: () => Promise<Run>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the gateway (WebSocket on /v1/voice, /healthz, /readyz)', load: async () => (await import('./serve.ts')).runServe },
  call: { summary: 'one call against a running gateway: a WAV file or a text, answer printed and saved', load: async () => (await import('./call.ts')).runCall },
  ask: { summary: 'one turn against the model in-process, no server', load: () => loadOptional('ask', './ask.ts', 'runAsk') },
  token: { summary: 'mint a signed, expiring token for a gateway started with --auth-secret', load: async () => (await import('./token.ts')).runToken },
  fleet: { summary: 'a fleet of nodes on Redis: list nodes and live calls, end or drain a call', load: async () => (await import('./fleet.ts')).runFleet },
  loadtest: { summary: 'many concurrent calls against a gateway', load: () => loadOptional('loadtest', './loadtest.ts', 'runLoadtest') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `usage: voxgate <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\n'voxgate <command> --help' lists a command's flags.`;
}

/** Imports a command module that may not be part of this build; a missing module is a usage error, not a crash. */
async function loadOptional(name: string, specifier: string, exportName: string): Promise<Run> {
  const url = new URL(specifier, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message?.includes(fileURLToPath(url))) {
      throw new UsageError(`'voxgate ${name}' is not available in this build (${fileURLToPath(url)} is missing)`);
    }
    throw err;
  }
  const run = mod[exportName];
  if (typeof run !== 'function') throw new UsageError(`'voxgate ${name}': ${specifier} does not export ${exportName}(argv)`);
  return run as Run;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`voxgate: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`voxgate ${name}: ${err.message}`);
      return 2;
    }
    console.error(`voxgate ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
