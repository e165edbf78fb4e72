import { runCli } from './main.js';

// The process ends by itself once its output is written: the exit code is set, nothing cuts a pipe short.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
// Idle keep-alive sockets of the AWS SDK must not hold the process open once everything is written.
setTimeout(() => process.exit(), 100).unref();
