#!/usr/bin/env node
// The `cgw-autopilot` command. In a clone it runs the TypeScript sources through tsx (a
// devDependency); a packed or installed copy runs dist/cli/cgw-autopilot.mjs, which
// `npm run build:cli` makes (and `npm pack` runs first).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'cgw-autopilot.ts');
let tsx;
try {
  tsx = createRequire(import.meta.url).resolve('tsx/esm/api');
} catch {
  tsx = undefined;
}
if (existsSync(source) && tsx) {
  const { register } = await import(pathToFileURL(tsx).href);
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(here, '..', 'dist', 'cli', 'cgw-autopilot.mjs')).href);
}
