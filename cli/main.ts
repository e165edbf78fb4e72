import type { Writable } from 'node:stream';
import { parseCommandLine, usage } from './args.js';
import type { CommandContext } from './command.js';
import { COMMANDS } from './commands/index.js';
import { CliError, EXIT, type ExitCode, UsageError } from './errors.js';
import { resolveTarget, type Target, targetSettings } from './target.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  cwd: string;
}

/** Writes text and resolves once it has been handed to the OS, so nothing is lost at exit on a pipe. */
export function writeAll(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') return resolve();
    stream.write(text, () => resolve());
  });
}

/**
 * The simulated account's time for a local stack (its clock may be stepped by hand), else wall time.
 * GET /_sim/clock is the local stack's control API; any other endpoint simply has no such path.
 */
async function nowFor(endpoint: string | undefined): Promise<number> {
  if (!endpoint) return Date.now();
  try {
    const answer = await fetch(new URL('/_sim/clock', endpoint), { signal: AbortSignal.timeout(2000) });
    const { now } = (await answer.json()) as { now?: string };
    const ms = now ? Date.parse(now) : Number.NaN;
    return Number.isFinite(ms) ? ms : Date.now();
  } catch {
    return Date.now();
  }
}

/**
 * Runs the CLI: parses and validates every argument before any AWS call, runs the command, writes
 * text (or one JSON document with --json) and returns the exit code. Errors are one line on stderr.
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  let json = argv.includes('--json');
  try {
    const line = parseCommandLine(argv, COMMANDS);
    json = line.global.json;
    if (line.global.help || !line.command) {
      const text = usage(COMMANDS, line.command);
      if (line.global.help) {
        await writeAll(io.stdout, json ? `${JSON.stringify({ usage: text }, null, 2)}\n` : `${text}\n`);
        return EXIT.done;
      }
      if (json) throw new UsageError('a command is needed; run cgw-autopilot --help for the commands');
      await writeAll(io.stderr, `${text}\n`);
      return EXIT.usage;
    }
    const command = line.command;
    const input = command.parse(line.args);
    // Configuration problems (no region) are found before any AWS call too.
    const settings = targetSettings(line.global, io.cwd);
    let target: Promise<Target> | undefined;
    const ctx: CommandContext = {
      json,
      target: () => (target ??= resolveTarget(line.global, io.cwd)),
      progress: (text) => {
        if (!json) io.stdout.write(`${text}\n`);
      },
      now: () => nowFor(settings.endpoint),
    };
    const result = await command.run(input, ctx);
    await writeAll(io.stdout, json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return result.code;
  } catch (err) {
    const code = err instanceof CliError ? err.code : EXIT.failed;
    const message = err instanceof CliError ? err.message : oneLine(err);
    if (json) await writeAll(io.stdout, `${JSON.stringify({ error: message, exitCode: code }, null, 2)}\n`);
    await writeAll(io.stderr, `cgw-autopilot: ${message}\n`);
    return code;
  }
}

/** An unexpected error in one line: its name and the first line of its message, never a stack trace. */
function oneLine(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(err)).split('\n')[0]}`;
}
