import { resolve } from 'node:path';
import { prepareFunctions } from '../sim/deploy/function-code.js';

/**
 * Before any test file runs: the project's function bundles built into the local deploy's cache (about
 * 6 s on a clean clone) and rewritten for the simulated Lambda, once. Without it every worker that
 * starts at the same time builds all of them itself.
 */
export default async function setup(): Promise<void> {
  const started = performance.now();
  await prepareFunctions(resolve(import.meta.dirname, '..', 'template.yaml'));
  const seconds = (performance.now() - started) / 1000;
  if (seconds > 2) console.log(`the functions' bundles for the local deploy made ready in ${seconds.toFixed(1)} s`);
}
