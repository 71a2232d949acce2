/**
 * The `sockwire` command: dispatches to `connect`, `serve` and `bench`. Every failure the user can cause ends as one
 * line on stderr and a non-zero exit code; a stack trace is only printed for real bugs when SOCKWIRE_DEBUG is set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './args';
import { processIo, type CliIo } from './cli-io';
import { runConnect } from './connect';
import { runServe } from './serve';
import { runBench } from './bench';

/** `sockwire --help`. */
export const MAIN_HELP = `Usage: sockwire <command> [options]

Commands:
  connect <url>   interactive WebSocket client (like wscat)
  serve           serve the demo chat (or --echo) on one port
  bench <url>     load-test an echo server

Run "sockwire <command> --help" for a command's options.
Options: -h, --help  show this help;  -v, --version  print the version
`;

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  connect: runConnect,
  serve: runServe,
  bench: runBench
};

/** The package version, read from package.json next to dist/. */
function readVersion(): string {
  try {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { version?: unknown }).version === 'string') {
      return (parsed as { version: string }).version;
    }
  } catch {
    // Fall through: a version is nice to have, not worth failing for.
  }
  return 'unknown';
}

/** Run the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(MAIN_HELP);
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command === '-v' || command === '--version') {
    io.stdout.write(`${readVersion()}\n`);
    return 0;
  }
  const handler = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (handler === undefined) {
    io.stderr.write(`sockwire: unknown command "${command}" (commands: connect, serve, bench; see "sockwire --help")\n`);
    return EXIT_USAGE;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`sockwire ${command}: unexpected error: ${message}\n`);
    if (io.env.SOCKWIRE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
}

/** Entry point of bin/sockwire.js: run, then exit with the code (open handles such as stdin must not keep us up). */
export function main(): void {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(EXIT_FAILURE)
  );
}
