import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from '../index.js';
import { renderScenario, renderSummary } from './report.js';
import { readScenario, runScenario, type ScenarioResult } from './runner.js';
import type { Scenario } from './scenario.js';
import { selectScenarios } from './select.js';

const usage = `usage: npm run -s drill -- [SCENARIO...] [--json] [--verbose] [--scenarios DIR] [--template FILE]
                            [--upstream URL] [--upstream-services LIST]

Deploys template.yaml into the simulated account and plays every scenario of scenarios/ (or the
given ones), printing a timeline per scenario and a summary. A SCENARIO is a name in scenarios/
(routes-cooldown), a file anywhere (./my-vpc.yaml) or a glob ('scenarios/routes-*.yaml').
-s keeps npm's banner off stdout, so --json output can be piped.

  --json                     print the results (with each execution's output) as one JSON document
  --verbose                  add each execution's full history
  --scenarios DIR            where scenario names are looked up (default: scenarios/)
  --template FILE            the SAM template to deploy (default: template.yaml)
  --upstream URL             serve the data-plane services from another endpoint (LocalStack, moto)
  --upstream-services LIST   which ones (default: ec2,route53resolver,dynamodb,sns)

Exit codes: 0 every expectation held, 1 one failed, 2 a scenario file, flag or the template cannot be used.`;

/** Writes everything, then exits: on a pipe, process.exit() alone can cut output at 64 KiB. */
function finish(code: number, stdout = '', stderr = ''): void {
  process.exitCode = code;
  const done = () => process.exit(code);
  const writeOut = () => (stdout ? process.stdout.write(stdout, done) : done());
  if (stderr) process.stderr.write(stderr, writeOut);
  else writeOut();
}

/** A flag, file or template the drill cannot use: exit 2 with one line. */
class DrillUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrillUsageError';
  }
}

function fail(message: string): never {
  throw new DrillUsageError(message);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseDrillArgs>;
  try {
    parsed = parseDrillArgs();
  } catch (err) {
    return fail(`${(err as Error).message.split('\n')[0]} (npm run drill -- --help lists the flags)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return finish(0, `${usage}\n`);
  return run(values, positionals);
}

function parseDrillArgs() {
  return parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      template: { type: 'string' },
      upstream: { type: 'string' },
      'upstream-services': { type: 'string', default: 'ec2,route53resolver,dynamodb,sns' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

async function run(values: ReturnType<typeof parseDrillArgs>['values'], positionals: string[]): Promise<void> {
  const root = resolve(import.meta.dirname, '../..');
  // npm runs scripts from the project folder; paths on the command line are the caller's.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const dir = resolve(cwd, values.scenarios ?? resolve(root, 'scenarios'));
  const templatePath = resolve(cwd, values.template ?? resolve(root, 'template.yaml'));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`the scenarios folder ${dir} does not exist`);
  if (!existsSync(templatePath)) fail(`the template ${templatePath} does not exist`);
  if (values.upstream !== undefined && !/^https?:\/\/[^/]+/.test(values.upstream)) {
    fail(`--upstream ${values.upstream} is not an http:// or https:// URL`);
  }

  let files: string[];
  try {
    files = selectScenarios(positionals, dir, cwd);
  } catch (err) {
    return fail((err as Error).message);
  }
  let scenarios: Scenario[];
  try {
    scenarios = files.map((file) => readScenario(file, root));
  } catch (err) {
    return fail((err as Error).message);
  }

  // Only an explicit --upstream forwards calls elsewhere: an AWS_ENDPOINT_URL left in the shell
  // (say, from the simulated account's exports) must not silently change what the drill tests.
  if (process.env.AWS_ENDPOINT_URL && !values.upstream) {
    process.stderr.write(
      `drill: AWS_ENDPOINT_URL is set (${process.env.AWS_ENDPOINT_URL}) and ignored: everything runs on the drill's own simulated account (--upstream URL forwards the data plane)\n`,
    );
  }
  const upstream = values.upstream
    ? { endpoint: values.upstream, services: values['upstream-services'].split(',').filter(Boolean) }
    : undefined;
  let sim: Awaited<ReturnType<typeof startSim>>;
  try {
    sim = await startSim(upstream ? { upstream } : {});
  } catch (err) {
    return fail((err as Error).message.split('\n')[0]!);
  }
  if (upstream) process.stderr.write(`drill: ${upstream.services.join(',')} served by ${upstream.endpoint}\n`);
  const results: ScenarioResult[] = [];
  let deployError: string | undefined;
  try {
    for (const scenario of scenarios) {
      const result = await runScenario(scenario, { sim, root, templatePath, verbose: values.verbose });
      results.push(result);
      if (!values.json) process.stdout.write(`${renderScenario(result, values.verbose)}\n\n`);
    }
  } catch (err) {
    // The template could not be deployed (or the account failed): not a failed expectation, so exit 2, not 1.
    deployError = err instanceof Error ? err.message.split('\n')[0] : String(err);
  } finally {
    await sim.stop();
  }
  if (deployError) return fail(deployError);
  const code = results.every((r) => r.ok) ? 0 : 1;
  finish(code, values.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderSummary(results)}\n`);
}

try {
  await main();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  finish(2, '', `drill: ${err instanceof DrillUsageError ? message : message.split('\n')[0]}\n`);
}
