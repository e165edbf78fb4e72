import { existsSync, globSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { scenarioFiles } from './runner.js';
import { ScenarioError } from './scenario.js';

const nameOf = (file: string) => basename(file).replace(/\.ya?ml$/, '');

/**
 * The scenario files a command line names: names in the scenarios folder, files anywhere, and
 * globs; every scenario of the folder when none is given. An unknown one is a ScenarioError that
 * names it and what the folder has.
 */
export function selectScenarios(wanted: string[], dir: string, cwd: string): string[] {
  const inFolder = scenarioFiles(dir);
  if (wanted.length === 0) return inFolder;
  const chosen: string[] = [];
  const unknown: string[] = [];
  for (const item of wanted) {
    if (/[*?[{]/.test(item)) {
      const matches = globSync(item, { cwd })
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => (isAbsolute(f) ? f : resolve(cwd, f)))
        .sort();
      if (matches.length === 0) unknown.push(`${item} (the glob matched no .yaml file)`);
      chosen.push(...matches);
    } else if (item.includes('/') || /\.ya?ml$/.test(item)) {
      const path = resolve(cwd, item);
      if (existsSync(path)) chosen.push(path);
      else unknown.push(`${item} (no such file)`);
    } else {
      const match = inFolder.find((f) => nameOf(f) === item);
      if (match) chosen.push(match);
      else unknown.push(item);
    }
  }
  if (unknown.length) {
    throw new ScenarioError(
      `no scenario named ${unknown.join(', ')} in ${dir} (have: ${inFolder.map((f) => basename(f)).join(', ')}); give a name, a path or a glob`,
    );
  }
  return [...new Set(chosen)];
}

/** The manifest of the scenarios the project ships: the ones its test suite plays. */
export const SHIPPED_MANIFEST = 'shipped.txt';

/**
 * The shipped scenarios of a folder, as its manifest lists them (one name a line, # comments):
 * a scenario copied into the folder to rehearse a what-if is played by `npm run drill`, never by
 * the test suite. A listed name without its file is an error.
 */
export function shippedScenarioFiles(dir: string): string[] {
  const names = readFileSync(join(dir, SHIPPED_MANIFEST), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
  const files = scenarioFiles(dir);
  return names.map((name) => {
    const file = files.find((f) => nameOf(f) === name);
    if (!file) throw new ScenarioError(`${join(dir, SHIPPED_MANIFEST)} lists ${name}, which has no file in ${dir}`);
    return file;
  });
}
