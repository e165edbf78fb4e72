import { availableParallelism } from 'node:os';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Four tiers, all run by `npm test` (sharing its workers) and one at a time by `npm run test:<tier>`:
 * - unit: the pure core, the adapters, the handlers and the template, in seconds;
 * - sim: the simulated account speaks AWS as AWS documents it (its services, DNS server and local deploy);
 * - e2e: the real state machines over the real handlers, the drills, the command lines and the gateway
 *   agent; any test folder not listed in another tier lands here, so a new one runs until it is given one;
 * - lab: the VPN lab (`npm run test:lab`).
 */
const unit = [
  'test/core/**/*.test.ts',
  'test/adapters/**/*.test.ts',
  'test/functions/**/*.test.ts',
  'test/template/**/*.test.ts',
];
const sim = ['test/sim/**/*.test.ts', 'test/deploy/**/*.test.ts'];
const lab = ['test/lab/**/*.test.ts'];

/**
 * The lab first, then the end-to-end tier, the sim tier, and the unit tier last. The lab and most
 * end-to-end tests wait (on strongSwan's timers, on retries in wall-clock time) more than they compute,
 * so started first they overlap with everything else, and the unit tier's many short files fill the end.
 * Vitest's own order puts the projects in alphabetical order, which starts the 80-second lab last.
 * Within a tier, the files known to take longest go first: Vitest orders by the durations of the last
 * run when it has them, and a clean clone has none (it would start the longest file, a few lines of
 * code, last of all).
 */
const TIERS_IN_ORDER = ['lab', 'e2e', 'sim', 'unit'];
const LONGEST_FIRST = [
  'test/drill/route-scenarios.test.ts',
  'test/statemachines/resolver-reconciler.test.ts',
  'test/drill/drill-usability.test.ts',
  'test/drill/resolver-scenarios.test.ts',
];
class TiersInOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const tier = (file: TestSpecification) => TIERS_IN_ORDER.indexOf(file.project.name);
    const rank = (file: TestSpecification) => {
      const known = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return known < 0 ? LONGEST_FIRST.length : known;
    };
    return (await super.sort(files)).sort((a, b) => tier(a) - tier(b) || rank(a) - rank(b));
  }
}

/**
 * What every tier shares. The tiers do not extend the root config: a project that extends it inherits its
 * globalSetup, and Vitest runs the global setup of the root and of every project in the run, one after
 * another (five times, 17 s before the first test, when each imported the sim afresh).
 */
const shared: NonNullable<TestProjectInlineConfiguration['test']> = {
  setupFiles: ['test/setup.ts'],
  // A test's own deadline, not a measure of speed: anything that waits polls with a deadline of its own,
  // and a loaded machine is slow, not wrong. A hung test still fails, naming itself.
  testTimeout: 180_000,
  hookTimeout: 180_000,
  pool: 'forks',
  // The local deploy's function bundles are loaded by Node, as Lambda loads them: transformed by Vitest,
  // each cold start cost a second of CPU, and most of an end-to-end test's time went into that.
  server: { deps: { external: [/\/dist\/\.local-deploy\//] } },
};

export default defineConfig({
  test: {
    ...shared,
    // Once, in the root project (which Vitest always sets up), before any worker starts.
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: TiersInOrder },
    // Vitest's default leaves a core to its own process, which idles: one worker on a 2-core machine. Most
    // of the lab's and of an end-to-end test's time is waiting (strongSwan's timers, retries and DNS
    // timeouts in wall-clock time), so two workers more than the cores keep them busy: on 2 cores, 4
    // workers ran the suite from a clean clone in 2 min 45 s, 3 workers in 3 min 12 s.
    maxWorkers: availableParallelism() + 2,
    projects: [
      { test: { ...shared, name: 'unit', include: unit } },
      // Each sim test starts its own account and nothing in sim/ reads configuration at import, so its
      // files share one module graph per worker instead of importing the AWS SDKs afresh for each.
      { test: { ...shared, name: 'sim', include: sim, isolate: false } },
      // The same for the end-to-end files: each starts its own account and stack; what a test changes in the
      // process (the environment, console) it puts back.
      {
        test: {
          ...shared,
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: [...unit, ...sim, ...lab],
          isolate: false,
        },
      },
      // Real strongSwan and FRR in network namespaces: needs root and Debian packages, says when it skips.
      { test: { ...shared, name: 'lab', include: lab } },
    ],
  },
});
