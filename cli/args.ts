import type { Command, FlagSpec, ParsedArgs } from './command.js';
import { UsageError } from './errors.js';

/** Flags every command takes. */
export interface GlobalOptions {
  json: boolean;
  help: boolean;
  stack?: string;
  endpoint?: string;
  region?: string;
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const STACK_ARN = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[0-9a-f-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  stack: {
    type: 'string',
    value: 'NAME',
    description: 'the stack to work on (default: stack_name in samconfig.toml, else cgw-autopilot)',
    check: (v) => (STACK_NAME.test(v) || STACK_ARN.test(v) ? undefined : `--stack ${v} is not a stack name or ARN`),
  },
  endpoint: {
    type: 'string',
    value: 'URL',
    description: 'an AWS endpoint such as the local stack of `npm run sim` (default: AWS_ENDPOINT_URL, else AWS)',
    check: (v) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return `--endpoint ${v} is not a URL (for example http://127.0.0.1:4566)`;
      }
      return url.protocol === 'http:' || url.protocol === 'https:'
        ? undefined
        : `--endpoint ${v} must be an http:// or https:// URL`;
    },
  },
  region: {
    type: 'string',
    value: 'REGION',
    description: 'AWS region (default: AWS_REGION, else samconfig.toml)',
    check: (v) => (REGION.test(v) ? undefined : `--region ${v} is not an AWS region name such as eu-west-2`),
  },
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text' },
  help: { type: 'boolean', description: 'show help' },
};

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The candidate nearest to `word`, when it is near enough to be a likely typo. */
export function nearest(word: string, candidates: string[]): string | undefined {
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = candidate.startsWith(word) && word.length >= 2 ? 0 : distance(word, candidate);
    if (!best || d < best.d) best = { candidate, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.candidate.length / 3)) ? best.candidate : undefined;
}

function suggestion(word: string, candidates: string[]): string {
  const near = nearest(word, candidates);
  return near ? ` (did you mean ${near}?)` : '';
}

/** The parsed command line: the command, its arguments, and the global options. */
export interface CommandLine {
  command?: Command;
  args: ParsedArgs;
  global: GlobalOptions;
}

/** Splits `--name=value` into its parts. */
function flagToken(token: string): { name: string; inline?: string } | undefined {
  if (!token.startsWith('--') || token === '--') return undefined;
  const eq = token.indexOf('=');
  return eq === -1 ? { name: token.slice(2) } : { name: token.slice(2, eq), inline: token.slice(eq + 1) };
}

/**
 * Parses argv against the commands: finds the command by its words (suggesting the nearest one for
 * a typo), then every flag against the command's and the global flags, checking each value.
 * Throws UsageError; never calls AWS.
 */
export function parseCommandLine(argv: string[], commands: Command[]): CommandLine {
  // Pass 1: the bare words (skipping the values of global string flags), to find the command.
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h') continue;
    const flag = flagToken(token);
    if (flag) {
      if (flag.inline === undefined && GLOBAL_FLAGS[flag.name]?.type === 'string') i++;
      continue;
    }
    if (token.startsWith('-') && token.length > 1) continue;
    words.push(token);
  }
  let command: Command | undefined;
  let used = 0;
  if (words.length > 0 && words[0] !== 'help') {
    const matches = commands.filter((c) => c.words.every((w, i) => words[i] === w));
    command = matches.sort((a, b) => b.words.length - a.words.length)[0];
    if (!command) {
      const first = commands.filter((c) => c.words[0] === words[0]);
      if (first.length > 0) {
        const subs = first.map((c) => c.words.slice(1).join(' '));
        const got = words[1];
        throw new UsageError(
          got === undefined
            ? `${words[0]} needs one of: ${subs.join(', ')}`
            : `unknown ${words[0]} command '${got}'${suggestion(got, subs)}; one of: ${subs.join(', ')}`,
        );
      }
      throw new UsageError(
        `unknown command '${words[0]}'${suggestion(words[0]!, [...new Set(commands.map((c) => c.words[0]!))])}; run cgw-autopilot --help for the commands`,
      );
    }
    used = command.words.length;
  }

  // Pass 2: every token against the flags of the command and the global ones.
  const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...(command?.flags ?? {}) };
  const flags: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  let skippedWords = 0;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h') {
      flags.help = true;
      continue;
    }
    const flag = flagToken(token);
    if (!flag) {
      if (token.startsWith('-') && token.length > 1 && token !== '-') {
        throw new UsageError(`unknown flag ${token}; flags are written --name`);
      }
      if (skippedWords < used || (words[0] === 'help' && skippedWords === 0)) skippedWords++;
      else positionals.push(token);
      continue;
    }
    const spec = Object.hasOwn(specs, flag.name) ? specs[flag.name] : undefined;
    if (!spec) {
      const where = command ? ` for ${command.words.join(' ')}` : '';
      throw new UsageError(
        `unknown flag --${flag.name}${where}${suggestion(
          flag.name,
          Object.keys(specs).map((k) => k),
        )}`.replace(/did you mean ([\w-]+)\?/, 'did you mean --$1?'),
      );
    }
    if (spec.type === 'boolean') {
      if (flag.inline !== undefined) throw new UsageError(`--${flag.name} takes no value`);
      flags[flag.name] = true;
      continue;
    }
    const value = flag.inline ?? argv[++i];
    if (value === undefined || (flag.inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${flag.name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    }
    if (flags[flag.name] !== undefined) throw new UsageError(`--${flag.name} given twice`);
    const problem = spec.check?.(value);
    if (problem) throw new UsageError(problem);
    flags[flag.name] = value;
  }
  const global: GlobalOptions = {
    json: flags.json === true,
    help: flags.help === true || words[0] === 'help',
    ...(typeof flags.stack === 'string' ? { stack: flags.stack } : {}),
    ...(typeof flags.endpoint === 'string' ? { endpoint: flags.endpoint } : {}),
    ...(typeof flags.region === 'string' ? { region: flags.region } : {}),
  };
  if (words[0] === 'help' && positionals.length > 0) {
    // `cgw-autopilot help failover`: the help of that command.
    const helpFor = parseCommandLine(positionals, commands);
    return { ...helpFor, global: { ...global, help: true } };
  }
  return { ...(command ? { command } : {}), args: { positionals, flags }, global };
}

/** The usage of one command, or of the whole CLI. */
export function usage(commands: Command[], command?: Command): string {
  const flagLines = (specs: Record<string, FlagSpec>) =>
    Object.entries(specs).map(
      ([name, spec]) => `  --${name}${spec.value ? ` ${spec.value}` : ''}`.padEnd(34) + spec.description,
    );
  if (command) {
    return [
      `usage: cgw-autopilot ${command.words.join(' ')}${command.args ? ` ${command.args}` : ''} [flags]`,
      '',
      command.summary,
      '',
      ...(Object.keys(command.flags).length ? ['flags:', ...flagLines(command.flags), ''] : []),
      'global flags:',
      ...flagLines(GLOBAL_FLAGS),
    ].join('\n');
  }
  return [
    'usage: cgw-autopilot COMMAND [flags]',
    '',
    'Operates a deployed cgw-autopilot stack: what state the gateway group is in, what a failover would',
    'do, do it and watch it, and what happened.',
    '',
    'commands:',
    ...commands.map(
      (c) => `  ${`${c.words.join(' ')}${c.args ? ` ${c.args}` : ''}`.padEnd(32)}${c.summary.split('\n')[0]}`,
    ),
    '',
    'global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'exit codes: 0 done, 1 an action failed, 2 usage or configuration error,',
    '            3 blocked (blast radius, lease, cooldown, refused), 4 no healthy member',
    '',
    'cgw-autopilot COMMAND --help shows the flags of a command.',
  ].join('\n');
}
