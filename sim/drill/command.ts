import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from '../index.js';
import { renderScenario, renderSummary } from './report.js';
import { readScenario, runScenario, type ScenarioResult, scenarioFiles } from './runner.js';

export const usage = `usage: npm run drill -- [NAME...] [--json] [--verbose] [--scenarios DIR] [--template FILE] [--upstream-services LIST]

Deploys template.yaml into the simulated account and plays every scenario (or the named ones),
printing a timeline per scenario and a summary; exits 1 if any expectation fails, 2 if a scenario
file or the template cannot be used.`;

/** Where the drill writes: what it found (stdout) and what stopped it (stderr). */
export interface DrillOutput {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: DrillOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/**
 * The drill command: plays the scenarios named in `args` (all of them without names) and answers its
 * exit status: 0 every expectation held, 1 one failed, 2 the arguments, a scenario file or the template
 * cannot be used. `env` supplies AWS_ENDPOINT_URL, as the process environment does for `npm run drill`.
 */
export async function runDrill(
  args: string[],
  output: DrillOutput = consoleOutput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ReturnType<typeof parseDrillArgs>;
  try {
    parsed = parseDrillArgs(args);
  } catch (err) {
    output.err(`drill: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.out(usage);
    return 0;
  }

  const root = resolve(import.meta.dirname, '../..');
  const dir = resolve(values.scenarios ?? resolve(root, 'scenarios'));
  const templatePath = resolve(values.template ?? resolve(root, 'template.yaml'));
  for (const [what, path] of [
    ['scenarios folder', dir],
    ['template', templatePath],
  ] as const) {
    if (!existsSync(path)) {
      output.err(`drill: the ${what} ${path} does not exist\n\n${usage}`);
      return 2;
    }
  }
  const files = scenarioFiles(dir);
  const nameOf = (file: string) => basename(file).replace(/\.ya?ml$/, '');
  const wanted = positionals.length ? positionals : files.map(nameOf);
  const unknown = wanted.filter((n) => !files.some((f) => nameOf(f) === n));
  if (unknown.length) {
    output.err(
      `drill: no scenario named ${unknown.join(', ')} in ${dir} (have: ${files.map((f) => basename(f)).join(', ')})`,
    );
    return 2;
  }

  let scenarios: ReturnType<typeof readScenario>[];
  try {
    scenarios = files.filter((f) => wanted.includes(nameOf(f))).map(readScenario);
  } catch (err) {
    output.err(`drill: ${(err as Error).message}`);
    return 2;
  }

  // With AWS_ENDPOINT_URL set (LocalStack, moto), those services are served there; the state machines,
  // functions and rules still run here, as the local deploy makes them.
  const upstreamEndpoint = env.AWS_ENDPOINT_URL;
  const sim = await startSim(
    upstreamEndpoint
      ? { upstream: { endpoint: upstreamEndpoint, services: values['upstream-services'].split(',').filter(Boolean) } }
      : {},
  );
  if (upstreamEndpoint) output.err(`drill: ${values['upstream-services']} served by ${upstreamEndpoint}`);
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, { sim, root, templatePath, verbose: values.verbose });
      results.push(result);
      if (!values.json) output.out(`${renderScenario(result, values.verbose)}\n`);
    }
  } catch (err) {
    // The template could not be deployed (or the account failed): not a failed expectation, so 2, not 1.
    output.err(`drill: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  } finally {
    await sim.stop();
  }
  output.out(values.json ? JSON.stringify(results, null, 2) : renderSummary(results));
  return results.every((r) => r.ok) ? 0 : 1;
}

function parseDrillArgs(args: string[]) {
  return parseArgs({
    args,
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
}
