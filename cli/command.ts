import type { ExitCode } from './errors.js';
import type { Target } from './target.js';

/** A flag of one command: `--name VALUE` (string) or `--name` (boolean). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in the usage, for string flags. */
  value?: string;
  description: string;
  /** A one-line problem with the value, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
}

/** What parsing the command line gives a command. */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

/** What a command produced: a JSON document for --json, lines for people, and the exit code. */
export interface CommandResult {
  json: unknown;
  text: string;
  code: ExitCode;
}

/** What a command can use while it runs. */
export interface CommandContext {
  /** Resolves the stack (the first AWS calls). */
  target(): Promise<Target>;
  /** Progress lines for people (not written with --json). */
  progress(line: string): void;
  json: boolean;
  /** Wall time now, in ms; the simulated account's time for a local stack on a stepped clock. */
  now(): Promise<number>;
}

/**
 * One subcommand of the CLI, in its own module: its words (`['rules', 'reconcile']`), its flags, a
 * pure validation of its arguments (throws UsageError before any AWS call), and what it runs.
 */
export interface Command<Input = unknown> {
  words: string[];
  summary: string;
  /** Positional arguments in the usage line, e.g. `EXECUTION`. */
  args?: string;
  flags: Record<string, FlagSpec>;
  /** Checks the arguments and returns what run() needs; throws UsageError naming what is wrong. */
  parse(args: ParsedArgs): Input;
  run(input: Input, ctx: CommandContext): Promise<CommandResult>;
}
