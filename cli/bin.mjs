#!/usr/bin/env node
// The `cgw-autopilot` command. From a clone it runs the TypeScript source through tsx (a
// devDependency); a packed copy ships dist/cli/cgw-autopilot.mjs, built by `npm run build:cli`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, '..', 'dist', 'cli', 'cgw-autopilot.mjs');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(here, 'cgw-autopilot.ts')).href);
}
