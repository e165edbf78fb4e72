import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScenario, runScenario, scenarioFiles } from '../../sim/drill/runner.js';
import { type SimAccount, startSim } from '../../sim/index.js';

const root = resolve(import.meta.dirname, '../..');
const files = scenarioFiles(resolve(root, 'scenarios')).filter((f) => /[/\\]resolver-[^/\\]+\.ya?ml$/.test(f));
/** One scenario, deploy and DNS timeouts included, must finish well within this (wall clock). */
const SCENARIO_TIMEOUT_MS = 90_000;

describe('resolver-rule reconciler drill scenarios', () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('finds the seven drills of the issue', () => {
    // Assess
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  for (const file of files) {
    const scenario = readScenario(file);
    it(`${scenario.name}: every expectation holds`, { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      // Act
      const result = await runScenario(scenario, { sim, root });

      // Assess
      expect(result.error).toBeUndefined();
      expect(result.expectations.filter((e) => !e.ok)).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }
});
