// `npm run drill`: the drill command (./command.ts) as a process.
import { runDrill } from './command.js';

/** The last write to a stream, done once it and every write before it has been handed to the system. */
const flushed = new Map<NodeJS.WriteStream, Promise<void>>();
const line = (stream: NodeJS.WriteStream) => (text: string) => {
  flushed.set(stream, new Promise((done) => stream.write(`${text}\n`, () => done())));
};

const code = await runDrill(process.argv.slice(2), { out: line(process.stdout), err: line(process.stderr) });
// Everything written, then exit: on a pipe, process.exit() alone can cut output at 64 KiB.
process.exitCode = code;
await Promise.all(flushed.values());
process.exit(code);
