// `npm run sim`: the command (./command.ts) as a process, until a signal stops it.
import { type RunningSim, startSimCommand } from './command.js';

let running: RunningSim | undefined;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await running?.stop();
  process.exit(0);
};
// Registered first: a signal while the stack deploys stops the account too.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());

const result = await startSimCommand(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
});
if (typeof result === 'number') process.exit(result);
running = result;
