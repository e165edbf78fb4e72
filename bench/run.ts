import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * `npm run bench [-- NAME...]`: runs every benchmark module of this folder (each exports
 * `run(): Promise<string>`) one after another, so none competes with another for the CPU, and
 * prints each report. Exits 1 if a benchmark throws.
 */

interface BenchModule {
  run?: () => Promise<string>;
}

const { positionals } = parseArgs({ allowPositionals: true });
const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== basename(import.meta.filename))
  .sort()
  .map((f) => f.replace(/\.ts$/, ''));
const unknown = positionals.filter((name) => !available.includes(name));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${available.join(', ')})`);
  process.exit(2);
}

let failed = 0;
for (const name of positionals.length ? positionals : available) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchModule;
  if (typeof mod.run !== 'function') continue;
  const started = performance.now();
  try {
    const report = await mod.run();
    console.log(`== ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)\n${report}\n`);
  } catch (err) {
    failed++;
    console.error(`== ${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
}
process.exit(failed ? 1 : 0);
