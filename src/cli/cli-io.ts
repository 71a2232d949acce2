/**
 * The streams a command talks to, passed in (rather than read from `process`) so commands can be driven in-process,
 * and a line printer that keeps an interactive prompt intact while messages arrive.
 */
import { clearLine, cursorTo, type Interface } from 'node:readline';

/** A writable text stream as the CLI uses it (process.stdout / process.stderr or a test double). */
export interface OutputStream {
  write(text: string): boolean;
  isTTY?: boolean;
}

/** Everything a command needs from its environment. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => void };
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

/** The `CliIo` of the running process. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/**
 * Writes whole lines to stdout/stderr. When an interactive prompt is active, the half-typed input line is cleared
 * first and redrawn after, so incoming messages never interleave with what the user is typing.
 */
export class LinePrinter {
  private prompt: Interface | undefined;

  constructor(private readonly io: CliIo) {}

  /** Attach the interactive prompt to keep redrawn (terminal mode only). */
  attachPrompt(prompt: Interface): void {
    this.prompt = prompt;
  }

  /** Forget the prompt (it was closed). */
  detachPrompt(): void {
    this.prompt = undefined;
  }

  /** Print `line` on stdout. */
  out(line: string): void {
    this.write(this.io.stdout, line);
  }

  /** Print `line` on stderr. */
  err(line: string): void {
    this.write(this.io.stderr, line);
  }

  private write(stream: OutputStream, line: string): void {
    const prompt = this.prompt;
    if (prompt === undefined) {
      stream.write(`${line}\n`);
      return;
    }
    const terminal = this.io.stdout as NodeJS.WritableStream;
    clearLine(terminal, 0);
    cursorTo(terminal, 0);
    stream.write(`${line}\n`);
    prompt.prompt(true); // true: keep the cursor where the user left it
  }
}
