import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../cli/main.js';

const root = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it. */
export function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/**
 * The CLI in this process, as `cgw-autopilot ARGS` from the project folder (or cwd). The command sets the
 * region and endpoint in its process's environment, as a process of its own may; the environment is put
 * back afterwards, so that nothing run later in this process (a child process, another test file sharing
 * the worker) inherits them.
 */
export async function cliInProcess(args: string[], cwd = root): Promise<CliRun> {
  const saved = { ...process.env };
  const stdout = sink();
  const stderr = sink();
  try {
    const code = await runCli(args, { stdout, stderr, cwd });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
