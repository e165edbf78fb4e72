import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScenario, runScenario } from '../../sim/drill/runner.js';
import { shippedScenarioFiles } from '../../sim/drill/select.js';
import { type SimAccount, startSim } from '../../sim/index.js';

const root = resolve(import.meta.dirname, '../..');
/** One scenario, deploy and DNS timeouts included, must finish well within this (wall clock). */
const SCENARIO_TIMEOUT_MS = 90_000;

/**
 * Plays every shipped scenario (scenarios/shipped.txt) named <prefix>* on one simulated account and
 * requires every expectation to hold; a user's own scenario in scenarios/ is not part of the suite.
 */
export function describeScenarios(prefix: string, title: string, atLeast: number): void {
  const files = shippedScenarioFiles(resolve(root, 'scenarios')).filter((f) =>
    new RegExp(`[/\\\\]${prefix}[^/\\\\]+\\.ya?ml$`).test(f),
  );

  describe(title, () => {
    let sim: SimAccount;

    beforeAll(async () => {
      sim = await startSim();
    });
    afterAll(async () => {
      await sim.stop();
    });

    it(`finds the ${atLeast} drills of the issue`, () => {
      expect(files.length).toBeGreaterThanOrEqual(atLeast);
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
}
