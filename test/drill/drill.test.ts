import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { durationMs, parseScenario, readScenario, ScenarioError } from '../../sim/drill/scenario.js';

const repo = resolve(import.meta.dirname, '../..');
const scenarios = 'test/fixtures/drill/scenarios';
const template = 'test/fixtures/drill/template.yaml';
const bad = 'test/fixtures/drill-bad';
/**
 * Each child process is bounded: a drill that hangs fails its test instead of the suite. Generous:
 * tsx starting the drill takes over a minute on a loaded 2-core machine.
 */
const CHILD_TIMEOUT_MS = 180_000;

interface DrillRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the drill CLI as `npm run drill` would, from the repo root. */
function drill(...args: string[]): Promise<DrillRun> {
  return new Promise((done) => {
    execFile(
      'npx',
      ['tsx', 'sim/drill/cli.ts', ...args],
      { cwd: repo, timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
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

describe.concurrent('drill CLI', () => {
  it('exits 0 and says so in the summary when the scenario passes', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'instance-restart');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok   2 SUCCEEDED executions of ExampleStateMachine');
    expect(run.stdout).toMatch(/^instance-restart +5\/5 +2 +2 +50s +pass/m);
    expect(run.stdout).toContain('1 of 1 scenarios passed');
  });

  it('exits 1 and shows what was found when an expectation is false', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'false-expectation');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL 5 executions of ExampleStateMachine  (found: 1 (SUCCEEDED))');
    expect(run.stdout).toMatch(/^false-expectation +1\/2 .* FAIL/m);
    expect(run.stdout).toContain('0 of 1 scenarios passed');
  });

  it('exits 1 naming the handler file when a function throws unexpectedly', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'handler-throws');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /FAIL no execution failed and no handler threw unexpectedly {2}\(found: .*InvalidInstanceID\.NotFound thrown by functions\/disable-check\/index\.ts/,
    );
    expect(run.stdout).toContain('0 of 1 scenarios passed');
  });

  it('prints parseable results with --json, and still exits 1 if one fails', {
    timeout: CHILD_TIMEOUT_MS,
  }, async () => {
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

  it('exits 2 naming an unknown scenario and the ones it has', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', template, 'instance-reboot');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('drill: no scenario named instance-reboot');
    expect(run.stderr).toContain('(have: false-expectation.yaml, handler-throws.yaml, instance-restart.yaml)');
    expect(run.stdout).toBe('');
  });

  it('exits 2 with file:line: field when a scenario has an unknown key', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Act
    const run = await drill('--scenarios', bad, '--template', template, 'unknown-key');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${resolve(repo, bad)}/unknown-key.yaml:9: steps.1.reason: Unrecognized key: "reason"`,
    );
  });

  it('exits 2 naming the template and the resource when the template cannot be deployed', {
    timeout: CHILD_TIMEOUT_MS,
  }, async () => {
    // Act
    const run = await drill('--scenarios', scenarios, '--template', `${bad}/broken-template.yaml`, 'instance-restart');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `drill: ${resolve(repo, bad)}/broken-template.yaml: Resources.WorkBucket: resource type AWS::S3::Bucket is not supported`,
    );
  });
});

describe('parseScenario', () => {
  it('accepts the fixture scenario, filling defaults and naming it after its file', () => {
    // Act
    const scenario = readScenario(resolve(repo, scenarios, 'instance-restart.yaml'));

    // Assess
    expect(scenario.name).toBe('instance-restart');
    expect(scenario.parameters).toEqual({});
    expect(scenario.topology.instances).toEqual([{ name: 'gw', subnet: 'app.a', tags: {}, sourceDestCheck: true }]);
    expect(scenario.steps).toEqual([{ stop: 'gw' }, { advance: '30s' }, { start: 'gw' }, { advance: '10s' }]);
  });

  it('points an unknown key in a step at the line of the key', () => {
    // Prepare
    const file = resolve(repo, bad, 'unknown-key.yaml');

    // Act
    const error = parseFailure(() => readScenario(file));

    // Assess
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error.message).toBe(`${file}:9: steps.1.reason: Unrecognized key: "reason"`);
  });

  it('points an unknown top-level key at its line, alongside the missing one it was meant to be', () => {
    // Prepare
    const file = resolve(repo, bad, 'top-level-typo.yaml');

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
    const file = resolve(repo, bad, 'bad-duration.yaml');

    // Act
    const error = parseFailure(() => readScenario(file));

    // Assess
    expect(error.message).toBe(`${file}:4: steps.1.advance: a duration such as 90s, 5m, 1h or 2d`);
  });

  it('reports an unknown key nested in a known step at its own line', () => {
    // Prepare
    const text = readFileSync(resolve(repo, bad, 'unknown-key.yaml'), 'utf8').replace(
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
