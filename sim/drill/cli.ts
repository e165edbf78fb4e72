import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from '../index.js';
import { renderScenario, renderSummary } from './report.js';
import { readScenario, runScenario, type ScenarioResult, scenarioFiles } from './runner.js';

const usage = `usage: npm run drill -- [NAME...] [--json] [--verbose] [--scenarios DIR] [--template FILE] [--upstream-services LIST]

Deploys template.yaml into the simulated account and plays every scenario (or the named ones),
printing a timeline per scenario and a summary; exits 1 if any expectation fails, 2 if a scenario
file or the template cannot be used.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    template: { type: 'string' },
    'upstream-services': { type: 'string', default: 'ec2,route53resolver,dynamodb,sns' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const root = resolve(import.meta.dirname, '../..');
const dir = resolve(values.scenarios ?? resolve(root, 'scenarios'));
const templatePath = resolve(values.template ?? resolve(root, 'template.yaml'));
for (const [what, path] of [
  ['scenarios folder', dir],
  ['template', templatePath],
] as const) {
  if (!existsSync(path)) {
    console.error(`drill: the ${what} ${path} does not exist\n\n${usage}`);
    process.exit(2);
  }
}
const files = scenarioFiles(dir);
const wanted = positionals.length ? positionals : files.map((f) => basename(f).replace(/\.ya?ml$/, ''));
const unknown = wanted.filter((n) => !files.some((f) => basename(f).replace(/\.ya?ml$/, '') === n));
if (unknown.length) {
  console.error(
    `drill: no scenario named ${unknown.join(', ')} in ${dir} (have: ${files.map((f) => basename(f)).join(', ')})`,
  );
  process.exit(2);
}

let scenarios: ReturnType<typeof readScenario>[];
try {
  scenarios = files.filter((f) => wanted.includes(basename(f).replace(/\.ya?ml$/, ''))).map(readScenario);
} catch (err) {
  console.error(`drill: ${(err as Error).message}`);
  process.exit(2);
}

// With AWS_ENDPOINT_URL set (LocalStack, moto), those services are served there; the state machines,
// functions and rules still run here, as the local deploy makes them.
const upstreamEndpoint = process.env.AWS_ENDPOINT_URL;
const sim = await startSim(
  upstreamEndpoint
    ? { upstream: { endpoint: upstreamEndpoint, services: values['upstream-services'].split(',').filter(Boolean) } }
    : {},
);
if (upstreamEndpoint) console.error(`drill: ${values['upstream-services']} served by ${upstreamEndpoint}`);
const results: ScenarioResult[] = [];
let deployFailed = false;
try {
  for (const scenario of scenarios) {
    const result = await runScenario(scenario, { sim, root, templatePath, verbose: values.verbose });
    results.push(result);
    if (!values.json) console.log(`${renderScenario(result, values.verbose)}\n`);
  }
} catch (err) {
  // The template could not be deployed (or the account failed): not a failed expectation, so exit 2, not 1.
  console.error(`drill: ${err instanceof Error ? err.message : String(err)}`);
  deployFailed = true;
} finally {
  await sim.stop();
}
if (deployFailed) process.exit(2);
if (values.json) console.log(JSON.stringify(results, null, 2));
else console.log(renderSummary(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
