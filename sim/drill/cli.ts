import { runDrill } from './command.js';

// `npm run drill -- ...`: the command itself lives in command.ts, where the tests run it in-process.
process.exit(await runDrill(process.argv.slice(2)));
