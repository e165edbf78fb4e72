import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../sim/drill/command.js';
import { durationMs, parseScenario, readScenario, ScenarioError } from '../../sim/drill/scenario.js';

const repo = resolve(import.meta.dirname, '../..');
const scenarios = resolve(repo, 'test/fixtures/drill/scenarios');
const template = resolve(repo, 'test/fixtures/drill/template.yaml');
const bad = resolve(repo, 'test/fixtures/drill-bad');

interface DrillRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the drill command in this process, as `npm run drill -- ...args` would, collecting what it prints. */
async function drill(...args: string[]): Promise<DrillRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runDrill(
    args,
    { out: (text) => stdout.push(`${text}\n`), err: (text) => stderr.push(`${text}\n`) },
    {},
  );
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** The ScenarioError a parse failed with, or a thrown assertion if it succeeded. */
function parseFailure(parse: () => unknown): Error {
  try {
    parse();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the scenario to be rejected, but it parsed');
}

describe('drill command', () => {
  it('exits 0 and says so in the summary when the scenario passes', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'instance-restart');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok   2 SUCCEEDED executions of ExampleStateMachine');
    expect(run.stdout).toMatch(/^instance-restart +5\/5 +2 +2 +50s +pass/m);
    expect(run.stdout).toContain('1 of 1 scenarios passed');
  });

  it('exits 1 and shows what was found when an expectation is false', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'false-expectation');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL 5 executions of ExampleStateMachine  (found: 1 (SUCCEEDED))');
    expect(run.stdout).toMatch(/^false-expectation +1\/2 .* FAIL/m);
    expect(run.stdout).toContain('0 of 1 scenarios passed');
  });

  it('exits 1 naming the handler file when a function throws unexpectedly', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'handler-throws');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /FAIL no execution failed and no handler threw unexpectedly {2}\(found: .*InvalidInstanceID\.NotFound thrown by functions\/disable-check\/index\.ts/,
    );
    expect(run.stdout).toContain('0 of 1 scenarios passed');
  });

  it('prints parseable results with --json, and still exits 1 if one fails', async () => {
    // Act
    const run = await drill('--json', '--scenarios', scenarios, '--template', template);

    // Assess
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as { name: string; ok: boolean; expectations: { ok: boolean }[] }[];
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['false-expectation', false],
      ['handler-throws', false],
      ['instance-restart', true],
    ]);
    expect(results[2]?.expectations.every((e) => e.ok)).toBe(true);
    expect(results[2]?.expectations).toHaveLength(5);
  });

  it('exits 2 naming an unknown scenario and the ones it has', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'instance-reboot');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('drill: no scenario named instance-reboot');
    expect(run.stderr).toContain('(have: false-expectation.yaml, handler-throws.yaml, instance-restart.yaml)');
    expect(run.stdout).toBe('');
  });

  it('exits 2 with file:line: field when a scenario has an unknown key', async () => {
    // Act
    const run = await drill('--scenarios', bad, '--template', template, 'unknown-key');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}/unknown-key.yaml:9: steps.1.reason: Unrecognized key: "reason"`);
  });

  it('exits 2 naming the template and the resource when the template cannot be deployed', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', `${bad}/broken-template.yaml`, 'instance-restart');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `drill: ${bad}/broken-template.yaml: Resources.WorkBucket: resource type AWS::S3::Bucket is not supported`,
    );
  });
  it('exits 2 naming an option it does not know in one line, pointing at --help, before starting anything', async () => {
    // Act
    const run = await drill('--scenario', scenarios);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^drill: Unknown option '--scenario'.*\(npm run drill -- --help lists the flags\)\n$/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 naming a bad --upstream in one line, and 0 with the usage for --help', async () => {
    // Act
    const upstream = await drill('--upstream', 'localhost:4566');
    const help = await drill('--help');

    // Assess
    expect(upstream.code).toBe(2);
    expect(upstream.stderr).toBe('drill: --upstream localhost:4566 is not an http:// or https:// URL\n');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run -s drill');
  });

  it('exits 2 naming a template that does not exist', async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', `${bad}/no-such-template.yaml`);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`drill: the template ${bad}/no-such-template.yaml does not exist`);
  });
});

describe('parseScenario', () => {
  it('accepts the fixture scenario, filling defaults and naming it after its file', () => {
    // Act
    const scenario = readScenario(resolve(scenarios, 'instance-restart.yaml'));

    // Assess
    expect(scenario.name).toBe('instance-restart');
    expect(scenario.parameters).toEqual({});
    expect(scenario.topology.instances).toEqual([{ name: 'gw', subnet: 'app.a', tags: {}, sourceDestCheck: true }]);
    expect(scenario.steps).toEqual([{ stop: 'gw' }, { advance: '30s' }, { start: 'gw' }, { advance: '10s' }]);
  });

  it('points an unknown key in a step at the line of the key', () => {
    // Prepare
    const file = resolve(bad, 'unknown-key.yaml');

    // Act
    const error = parseFailure(() => readScenario(file));

    // Assess
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toBe(`${file}:9: steps.1.reason: Unrecognized key: "reason"`);
  });

  it('points an unknown top-level key at its line, alongside the missing one it was meant to be', () => {
    // Prepare
    const file = resolve(bad, 'top-level-typo.yaml');

    // Act
    const error = parseFailure(() => readScenario(file));

    // Assess
    expect(error.message.split('\n')).toEqual([
      `${file}:1: expect: Invalid input: expected array, received undefined`,
      `${file}:4: expectations: Unrecognized key: "expectations"`,
    ]);
  });

  it('rejects a duration written in words, naming the step and the accepted forms', () => {
    // Prepare
    const file = resolve(bad, 'bad-duration.yaml');

    // Act
    const error = parseFailure(() => readScenario(file));

    // Assess
    expect(error.message).toBe(`${file}:4: steps.1.advance: a duration such as 90s, 5m, 1h or 2d`);
  });

  it('reports an unknown key nested in a known step at its own line', () => {
    // Prepare
    const text = readFileSync(resolve(bad, 'unknown-key.yaml'), 'utf8').replace(
      '  - stop: gw\n    reason: maintenance\n',
      '  - fault:\n      service: ec2\n      rate: 0.5\n',
    );

    // Act
    const error = parseFailure(() => parseScenario(text, 'nested.yaml'));

    // Assess
    expect(error.message).toBe('nested.yaml:10: steps.1.fault.rate: Unrecognized key: "rate"');
  });

  it('calls an entry of no known kind by its position', () => {
    // Prepare
    const text = 'description: x\nsteps:\n  - note: a\n  - reboot: gw\nexpect:\n  - unmatchedEvents: 0\n';

    // Act
    const error = parseFailure(() => parseScenario(text, 'inline.yaml'));

    // Assess
    expect(error.message).toMatch(/^inline\.yaml:4: steps\.1: not a known kind of step \(one of: putEvent, /);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    // Act
    const syntax = parseFailure(() => parseScenario('description: x\nsteps: [\n', 'syntax.yaml'));
    const duplicate = parseFailure(() =>
      parseScenario('description: a\nsteps: [{ note: x }]\ndescription: b\n', 'duplicate.yaml'),
    );

    // Assess
    expect(syntax.message).toMatch(/^syntax\.yaml:3: /);
    expect(duplicate.message).toBe('duplicate.yaml:3: Map keys must be unique');
  });
});

describe('durationMs', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('reads %s as %d ms', (text, ms) => {
    // Act
    const result = durationMs(text);

    // Assess
    expect(result).toBe(ms);
  });

  it.each(['5 minutes', '5', '-5s', 'm5'])('rejects %s', (text) => {
    // Act
    const error = parseFailure(() => durationMs(text));

    // Assess
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toBe(`not a duration: ${text}`);
  });
});
