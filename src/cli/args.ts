/**
 * Shared argument handling for the `sockwire` commands: node:util `parseArgs` (built in, so the package keeps zero
 * runtime dependencies), turned into one-line usage errors, plus strict number parsing for option values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit code for a bad command line (the BSD sysexits-style convention most CLIs follow). */
export const EXIT_USAGE = 2;
/** Exit code for a runtime failure: unreachable URL, refused handshake, port in use. */
export const EXIT_FAILURE = 1;

/** An error the CLI reports as one line on stderr (never a stack trace), exiting with `exitCode`. */
export class CliError extends Error {
  /** The process exit code to use. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The option table of one command, in `parseArgs` form. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** What `parseCommandLine` returns: option values by name and the positional arguments. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** Node's parseArgs failures carry codes like ERR_PARSE_ARGS_UNKNOWN_OPTION; anything else is a real bug. */
function isParseArgsError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Parse `args` strictly against `options`. Unknown flags, missing values and stray positionals become a
 * `CliError` naming the command, with only the first sentence of Node's message (the rest is advice about `--`).
 */
export function parseCommandLine(command: string, args: string[], options: OptionTable, positionals: boolean): ParsedCommandLine {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals });
    return { values: parsed.values as ParsedCommandLine['values'], positionals: parsed.positionals };
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    const firstSentence = error.message.split(/\.\s/)[0].replace(/\.$/, '');
    throw new CliError(`sockwire ${command}: ${firstSentence} (see "sockwire ${command} --help")`, EXIT_USAGE);
  }
}

/** A string option's value, or `undefined` when absent. */
export function stringOption(values: ParsedCommandLine['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string option's values (empty when absent). */
export function listOption(values: ParsedCommandLine['values'], name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** A boolean flag's value (`false` when absent). */
export function flagOption(values: ParsedCommandLine['values'], name: string): boolean {
  return values[name] === true;
}

/** Limits a numeric option must satisfy. */
export interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
}

/**
 * Parse a numeric option strictly: the whole text must be a decimal number within `rule` (so `--port 80x` and
 * `-c 0` are refused instead of silently becoming 80 or NaN).
 */
export function numberOption(
  command: string,
  values: ParsedCommandLine['values'],
  name: string,
  fallback: number,
  rule: NumberRule
): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const pattern = rule.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(text);
  if (!pattern.test(text.trim()) || !Number.isFinite(value) || value < rule.min || value > rule.max) {
    const kind = rule.integer ? 'an integer' : 'a number';
    throw new CliError(
      `sockwire ${command}: --${name} must be ${kind} from ${rule.min} to ${rule.max}, got "${text}"`,
      EXIT_USAGE
    );
  }
  return value;
}
