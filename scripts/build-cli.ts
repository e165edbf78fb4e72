import { resolve } from 'node:path';
import { build } from 'esbuild';

// Bundles the operator CLI into dist/cli/cgw-autopilot.mjs, which cli/bin.mjs runs where the
// TypeScript sources (and tsx) are not installed: a packed or installed copy of the package.
const root = resolve(import.meta.dirname, '..');
const outfile = resolve(root, 'dist/cli/cgw-autopilot.mjs');
await build({
  entryPoints: [resolve(root, 'cli/cgw-autopilot.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // The AWS SDK and the other runtime dependencies come from the package's own dependencies.
  packages: 'external',
  logLevel: 'warning',
});
console.log(`built ${outfile}`);
