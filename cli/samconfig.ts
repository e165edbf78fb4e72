import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the CLI reads from samconfig.toml: the stack name and region `sam deploy` uses. */
export interface SamDefaults {
  stackName?: string;
  region?: string;
}

/** The stack name the README and `sam deploy` assume when samconfig.toml names none. */
export const DEFAULT_STACK_NAME = 'cgw-autopilot';

const SECTIONS = ['default.deploy.parameters', 'default.global.parameters'];

/**
 * Reads `stack_name` and `region` from samconfig.toml's `[default.deploy.parameters]`, else
 * `[default.global.parameters]`, as `sam deploy` does. Only the simple `key = "value"` lines that
 * samconfig.toml uses are read; anything else in the file is ignored.
 */
export function readSamDefaults(dir: string): SamDefaults {
  const file = join(dir, 'samconfig.toml');
  if (!existsSync(file)) return {};
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = {};
      sections.set(header[1]!.trim(), current);
      continue;
    }
    const pair = /^([A-Za-z0-9_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')$/.exec(line);
    if (pair && current) current[pair[1]!] = pair[2] ?? pair[3] ?? '';
  }
  const pick = (key: string) => SECTIONS.map((s) => sections.get(s)?.[key]).find((v) => v !== undefined && v !== '');
  const stackName = pick('stack_name');
  const region = pick('region');
  return { ...(stackName ? { stackName } : {}), ...(region ? { region } : {}) };
}
