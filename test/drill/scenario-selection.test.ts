import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../sim/drill/runner.js';
import { SHIPPED_MANIFEST, selectScenarios, shippedScenarioFiles } from '../../sim/drill/select.js';

const root = resolve(import.meta.dirname, '../..');

function parseFailure(parse: () => unknown): Error {
  try {
    parse();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the selection to be rejected');
}

describe('user scenarios live anywhere; the test suite plays the shipped set', () => {
  it('are chosen by name, by path anywhere, and by glob', () => {
    // Arrange
    const dir = resolve(root, 'test/fixtures/drill/scenarios');
    const elsewhere = mkdtempSync(join(tmpdir(), 'what-if-'));
    writeFileSync(
      join(elsewhere, 'my-vpc.yaml'),
      'description: mine\nsteps: [{ note: x }]\nexpect: [{ unmatchedEvents: 0 }]\n',
    );

    // Act
    const byName = selectScenarios(['instance-restart'], dir, root);
    const byPath = selectScenarios(['./my-vpc.yaml'], dir, elsewhere);
    const byGlob = selectScenarios(['test/fixtures/drill/scenarios/*-*.yaml'], dir, root);
    const unknown = parseFailure(() => selectScenarios(['nope', 'missing/x.yaml', 'none/*.yaml'], dir, root));

    // Assess
    expect(byName).toEqual([join(dir, 'instance-restart.yaml')]);
    expect(byPath).toEqual([join(elsewhere, 'my-vpc.yaml')]);
    expect(byGlob).toEqual(scenarioFiles(dir));
    expect(unknown.message).toMatch(
      /^no scenario named nope, missing\/x\.yaml \(no such file\), none\/\*\.yaml \(the glob matched no \.yaml file\) in /,
    );
  });

  it('a scenario copied into a scenarios folder is not part of the shipped set the tests play', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
    const scenario = 'description: x\nsteps: [{ note: x }]\nexpect: [{ unmatchedEvents: 0 }]\n';
    writeFileSync(join(dir, 'routes-shipped.yaml'), scenario);
    writeFileSync(join(dir, 'routes-my-what-if.yaml'), scenario);
    writeFileSync(join(dir, SHIPPED_MANIFEST), '# shipped\nroutes-shipped\n');

    // Act
    const shipped = shippedScenarioFiles(dir);

    // Assess
    expect(shipped).toEqual([join(dir, 'routes-shipped.yaml')]);
  });

  it('every scenario the repository tracks is in the shipped manifest', (ctx) => {
    // Arrange
    let tracked: string[];
    try {
      tracked = execFileSync('git', ['ls-files', 'scenarios/*.yaml', 'scenarios/*.yml'], {
        cwd: root,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean);
    } catch {
      ctx.skip(); // not a git checkout: nothing says which files are the project's
      return;
    }

    // Act
    const shipped = shippedScenarioFiles(resolve(root, 'scenarios')).map((f) => f.slice(root.length + 1));

    // Assess
    expect(tracked.filter((f) => !shipped.includes(f))).toEqual([]);
  });
});
