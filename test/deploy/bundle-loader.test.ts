import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules', '.bin', 'tsx');

// The drill, the benchmarks and `npm run sim` run the simulated account under tsx, whose module
// loader rewrites every dynamic import() of the modules it loads. A function's bundle must reach
// its execution environment as Lambda loads it: the bytes esbuild wrote.
const SCRIPT = `
import { deployTemplate } from './sim/deploy/deploy.ts';
import { startSim } from './sim/index.ts';
const sim = await startSim();
try {
  const stack = await deployTemplate({ templatePath: 'test/fixtures/deploy/dynamic-import.yaml', sim });
  const out = await sim.service('lambda').invoke(stack.physical.DynamicImportFunction, {});
  process.stdout.write(JSON.stringify(out.payload));
} finally {
  await sim.stop();
}
`;

describe('local deploy under tsx', () => {
  it("loads a function's bundle as Node loads it, not rewritten by the process's TypeScript loader", async () => {
    // Act
    const { stdout } = await promisify(execFile)(tsx, ['--input-type=module', '-e', SCRIPT], {
      cwd: root,
      timeout: 120_000,
    });

    // Assess
    const payload = JSON.parse(stdout) as { source: string; ok: boolean };
    expect(payload.ok).toBe(true);
    expect(payload.source).toContain('import("node:os")');
    expect(payload.source).not.toContain('.then(');
  });
});
