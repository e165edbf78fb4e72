import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/** A duration written as `90s`, `5m`, `1h`, `2d` or `250ms`. */
const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as 90s, 5m, 1h or 2d');

const tags = z.record(z.string(), z.string());
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, _ . -');

const routeTarget = z.strictObject({
  instance: name.optional(),
  eniOf: name.optional().describe('the primary ENI of the named instance'),
  internetGateway: name.optional(),
  transitGateway: z.string().optional().describe('a transit gateway of the topology, or an id'),
  vpnGateway: name.optional(),
  peeringConnection: name.optional(),
});

const topology = z.strictObject({
  vpcs: z
    .array(
      z.strictObject({
        name,
        cidr: z.string(),
        ipv6: z.boolean().default(false).describe('an Amazon-provided /56 IPv6 block'),
        subnets: z
          .array(
            z.strictObject({
              name,
              cidr: z.string(),
              ipv6: z.boolean().default(false).describe("the next /64 of the VPC's IPv6 block"),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
  internetGateways: z.array(z.strictObject({ name, vpc: name })).default([]),
  transitGateways: z
    .array(
      z.strictObject({
        name,
        attachments: z
          .array(z.strictObject({ name, vpc: name, subnets: z.array(name).min(1).describe('subnets of that VPC') }))
          .default([]),
      }),
    )
    .default([]),
  vpnGateways: z.array(z.strictObject({ name, vpc: name.optional().describe('attached to this VPC') })).default([]),
  peeringConnections: z
    .array(z.strictObject({ name, vpc: name, peerVpc: name, accept: z.boolean().default(true) }))
    .default([]),
  prefixLists: z.array(z.strictObject({ name, cidrs: z.array(z.string()).min(1) })).default([]),
  instances: z
    .array(
      z.strictObject({
        name,
        subnet: z.string().describe('vpc.subnet'),
        tags: tags.default({}),
        sourceDestCheck: z.boolean().default(true),
      }),
    )
    .default([]),
  routeTables: z
    .array(
      z.strictObject({
        name,
        vpc: name,
        tags: tags.default({}),
        subnets: z.array(name).default([]),
        routes: z
          .array(
            z.strictObject({
              destination: z.string().describe('an IPv4 or IPv6 CIDR, or prefixList:<name>'),
              target: routeTarget,
            }),
          )
          .default([]),
      }),
    )
    .default([]),
  elasticIps: z.array(z.strictObject({ name, instance: name.optional() })).default([]),
  resolverEndpoints: z
    .array(
      z.strictObject({
        name,
        direction: z.enum(['OUTBOUND', 'INBOUND']).default('OUTBOUND'),
        subnets: z.array(z.string()).min(2).describe('vpc.subnet, at least two'),
      }),
    )
    .default([]),
  resolverRules: z
    .array(
      z.strictObject({
        name,
        domain: z.string(),
        targets: z.array(z.string()).min(1),
        endpoint: name,
        associate: z.array(name).default([]),
        tags: tags.default({}),
      }),
    )
    .default([]),
  dns: z
    .array(
      z.strictObject({
        name: z.string(),
        cname: z.string().optional(),
        a: z.array(z.string()).optional(),
        ttl: z.number().int().nonnegative().default(60),
      }),
    )
    .default([]),
  publicDns: z
    .array(
      z.strictObject({
        name: z.string(),
        cname: z.string().optional(),
        a: z.array(z.string()).optional(),
        ttl: z.number().int().nonnegative().default(60),
      }),
    )
    .default([])
    .describe('what the internet answers for a name no forward rule covers'),
  vendorServices: z
    .array(z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535) }))
    .default([])
    .describe("the vendor's TCP services, reachable while the VPC's path to the vendor is up"),
});

const faultStep = z.strictObject({
  service: z.string(),
  action: z.string().optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorCode: z.string().optional(),
  latencyMs: z.number().nonnegative().optional(),
  times: z.number().int().positive().optional(),
  afterCalls: z.number().int().nonnegative().optional().describe('matching calls let through before the fault starts'),
  match: z.string().min(1).optional().describe('only requests whose path or body contains this text'),
});

const step = z.union([
  z.strictObject({
    putEvent: z.strictObject({
      sample: z.string().optional().describe('a file under events/'),
      event: z.record(z.string(), z.unknown()).optional(),
      set: z.record(z.string(), z.unknown()).default({}),
    }),
  }),
  z.strictObject({
    aws: z.strictObject({
      call: z.string().describe('service:Action'),
      params: z.record(z.string(), z.unknown()).default({}),
    }),
  }),
  z.strictObject({ terminate: name }),
  z.strictObject({ stop: name }),
  z.strictObject({ start: name }),
  z.strictObject({ impair: name }),
  z.strictObject({ restore: name }),
  z.strictObject({ replaceInstance: z.strictObject({ name, as: name }) }),
  z.strictObject({ fault: faultStep }),
  z.strictObject({ throttle: z.enum(['ec2']) }),
  z.strictObject({ clearFaults: z.string() }),
  z.strictObject({ advance: duration }),
  z.strictObject({
    startExecution: z.strictObject({
      stateMachine: z.string().describe('logical id in template.yaml'),
      name: z.string().optional(),
      input: z.record(z.string(), z.unknown()).optional(),
      inputFile: z.string().optional(),
    }),
  }),
  z.strictObject({
    stopExecution: z.strictObject({
      stateMachine: z.string().describe('logical id in template.yaml'),
      name: z.string().describe('the execution to stop, by name'),
    }),
  }),
  z.strictObject({
    dns: z.strictObject({
      set: z
        .array(
          z.strictObject({
            name: z.string(),
            cname: z.string().optional(),
            a: z.array(z.string()).optional(),
            ttl: z.number().int().default(60),
          }),
        )
        .optional(),
      remove: z.array(z.string()).optional(),
      fault: z.strictObject({ name: z.string(), mode: z.enum(['timeout', 'servfail', 'none']) }).optional(),
      down: z.boolean().optional().describe('every query times out (the tunnel is down)'),
    }),
  }),
  z.strictObject({
    replay: z.strictObject({
      detailType: z.string().describe('deliver the last event of this detail-type again, same id'),
    }),
  }),
  z.strictObject({
    tunnels: z
      .strictObject({ instance: name, state: z.enum(['up', 'down']), report: z.boolean().default(true) })
      .describe("the gateway's tunnels go up or down; its agent reports it unless report is false"),
  }),
  z.strictObject({
    vendorPort: z.strictObject({ address: z.string(), port: z.number().int(), open: z.boolean() }),
  }),
  z.strictObject({
    invoke: z.strictObject({
      function: z.string().describe('logical id in template.yaml'),
      input: z.record(z.string(), z.unknown()).default({}),
    }),
  }),
  z.strictObject({ note: z.string() }),
]);

const count = z.union([
  z.number().int().nonnegative(),
  z.strictObject({ min: z.number().int().optional(), max: z.number().int().optional() }),
]);

const expectation = z.union([
  z.strictObject({
    route: z.strictObject({
      table: name,
      destination: z.string(),
      target: routeTarget.optional(),
      state: z.enum(['active', 'blackhole']).optional(),
      absent: z.boolean().optional(),
    }),
  }),
  z.strictObject({ routesUnchanged: z.strictObject({ table: name, destination: z.string().optional() }) }),
  z.strictObject({ sourceDestCheck: z.strictObject({ instance: name, enabled: z.boolean() }) }),
  z.strictObject({ elasticIp: z.strictObject({ name, instance: name.nullable() }) }),
  z.strictObject({
    executions: z.strictObject({
      stateMachine: z.string(),
      status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).optional(),
      count,
    }),
  }),
  z.strictObject({
    lastOutput: z.strictObject({
      stateMachine: z.string(),
      execution: z.string().optional().describe('the execution of this name rather than the last one'),
      path: z.string(),
      equals: z.unknown().optional(),
      contains: z.string().optional(),
    }),
  }),
  z.strictObject({ notifications: z.strictObject({ count, contains: z.string().optional() }) }),
  z.strictObject({ events: z.strictObject({ detailType: z.string(), count, contains: z.string().optional() }) }),
  z.strictObject({
    calls: z.strictObject({
      action: z.string().describe('service:Action'),
      count,
      failed: z.boolean().optional(),
      /** Only calls naming this state machine (logical id) as their stateMachineArn: StartExecution. */
      stateMachine: z.string().optional(),
    }),
  }),
  z.strictObject({
    resolverRule: z.strictObject({
      domain: z.string(),
      exists: z.boolean().default(true),
      managed: z.boolean().optional(),
      associatedWith: z.array(name).optional(),
    }),
  }),
  z.strictObject({ unmatchedEvents: count }),
  z.strictObject({ metric: z.strictObject({ name: z.string(), sum: count }) }),
  z.strictObject({
    alarm: z.strictObject({ name: z.string().describe('logical id in template.yaml'), raised: z.boolean() }),
  }),
  z.strictObject({
    probe: z
      .strictObject({ name: z.string(), verdict: z.string(), reported: count.optional() })
      .describe("the last probe run's verdict for the name; with reported, how many runs gave that verdict instead"),
  }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string(),
  parameters: z.record(z.string(), z.string()).default({}),
  /**
   * `simulated`: Step Functions retries wait on the simulated clock as long as AWS would, and an
   * `advance` step moves time timer by timer, letting the account settle at each (a sweep that fires
   * in the middle of a retrying run runs then, not after). `wall` (default): retries pass at once.
   */
  retryTime: z.enum(['wall', 'simulated']).default('wall'),
  topology: topology.default({} as never),
  steps: z.array(step).min(1),
  expect: z.array(expectation).min(1),
});

export type Scenario = z.infer<typeof scenarioSchema> & {
  name: string;
  file: string;
  /** The line of each step in the file, for messages about a step. */
  stepLines: number[];
};

/** The kinds of step and expectation, each the one key of its entry, for messages. */
const STEP_KINDS = step.options.map((o) => Object.keys(o.shape)[0]!);
const EXPECTATION_KINDS = expectation.options.map((o) => Object.keys(o.shape)[0]!);
export type ScenarioStep = z.infer<typeof step>;
export type Expectation = z.infer<typeof expectation>;
export type Topology = z.infer<typeof topology>;
/** A topology as written: every list may be left out. */
export type TopologyInput = z.input<typeof topology>;

/** Fills a written topology's defaults (empty lists, tags, TTLs), checking it as a scenario file would be. */
export function parseTopology(input: TopologyInput): Topology {
  return topology.parse(input);
}
export type Count = z.infer<typeof count>;

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** The most specific message zod has for an issue, walking into union branches that got furthest. */
function deepestIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors.length > 0) {
    const candidates = (issue.errors as z.core.$ZodIssue[][])
      .map((branch) => branch.map((i) => deepestIssue({ ...i, path: [...issue.path, ...i.path] })))
      .map((branch) => branch.sort((a, b) => b.path.length - a.path.length)[0]!)
      // A branch whose key was unknown says little; prefer branches that recognised the key.
      .filter((c) => !/Unrecognized key/.test(c.message) || true)
      .sort((a, b) => b.path.length - a.path.length);
    const best = candidates[0];
    if (best && best.path.length > issue.path.length + 1) return best;
    const where = issue.path[0];
    const kinds = where === 'steps' ? STEP_KINDS : where === 'expect' ? EXPECTATION_KINDS : undefined;
    return {
      path: issue.path,
      message: kinds
        ? `not a known kind of ${where === 'steps' ? 'step' : 'expectation'} (one of: ${kinds.join(', ')}; see "Writing a scenario" in README.md)`
        : 'not a known kind of entry (see "Writing a scenario" in README.md)',
    };
  }
  // An unknown key is reported at the key itself, so the line points at the typo, not at its parent.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    return { path: [...issue.path, issue.keys[0]], message: issue.message };
  }
  return { path: issue.path, message: issue.message };
}

/** Parses and validates a scenario file; errors name the file, line and field. */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line } = lineCounter.linePos(e.pos[0]);
    throw new ScenarioError(`${file}:${line}: ${e.message.split('\n')[0]}`);
  }
  const result = scenarioSchema.safeParse(doc.toJS());
  if (!result.success) {
    const messages = result.error.issues.slice(0, 5).map((raw) => {
      const issue = deepestIssue(raw);
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      let node: unknown;
      for (let n = path.length; n >= 0 && !isNode(node); n--) {
        // A mapping entry is reported at its key, the line where a reader looks for the field.
        const parent = n > 0 ? doc.getIn(path.slice(0, n - 1), true) : undefined;
        const pair = isMap(parent)
          ? parent.items.find((p) => isScalar(p.key) && p.key.value === path[n - 1])
          : undefined;
        node = pair?.key ?? doc.getIn(path.slice(0, n), true);
      }
      const offset = isNode(node) && node.range ? node.range[0] : 0;
      const { line } = lineCounter.linePos(offset);
      return `${file}:${line}: ${path.join('.') || '(top level)'}: ${issue.message}`;
    });
    throw new ScenarioError(messages.join('\n'));
  }
  const steps = doc.get('steps', true);
  const lineOf = (node: unknown) => (isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : 0);
  const stepLines = isSeq(steps) ? steps.items.map(lineOf) : [];
  const scenario: Scenario = {
    ...result.data,
    name: result.data.name ?? basename(file).replace(/\.ya?ml$/, ''),
    file,
    stepLines,
  };
  const problems = referenceProblems(scenario);
  if (problems.length > 0) throw new ScenarioError(problems.slice(0, 5).join('\n'));
  return scenario;
}

/** The instance names a step acts on, with the field that names them. */
function instanceNamesOf(step: ScenarioStep): { field: string; name: string }[] {
  const names: { field: string; name: string }[] = [];
  for (const kind of ['terminate', 'stop', 'start', 'impair', 'restore'] as const) {
    if (kind in step) names.push({ field: kind, name: (step as Record<string, string>)[kind]! });
  }
  if ('replaceInstance' in step) names.push({ field: 'replaceInstance.name', name: step.replaceInstance.name });
  // {{instance.x}} and {{eni.x}} anywhere in the step's values.
  for (const match of JSON.stringify(step).matchAll(/\{\{\s*(instance|eni)\.([^}\s]+)\s*\}\}/g)) {
    names.push({ field: `{{${match[1]}.${match[2]}}}`, name: match[2]! });
  }
  return names;
}

/**
 * Names a step uses that the topology does not have, found before anything runs: each message
 * names the file, the step's line and the unknown name.
 */
function referenceProblems(scenario: Scenario): string[] {
  const known = new Set(scenario.topology.instances.map((i) => i.name));
  const problems: string[] = [];
  scenario.steps.forEach((step, i) => {
    for (const { field, name } of instanceNamesOf(step)) {
      if (!known.has(name)) {
        problems.push(
          `${scenario.file}:${scenario.stepLines[i] ?? 0}: steps.${i}.${field}: no instance named ${name} in the topology (known: ${[...known].join(', ') || 'none'})`,
        );
      }
    }
    if ('replaceInstance' in step) known.add(step.replaceInstance.as);
  });
  return problems;
}

/** Reads a JSON file a step refers to (an event sample, an execution input), naming the file and the step on error. */
export function readStepJson(root: string, relative: string, where: string): unknown {
  const path = resolve(root, relative);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ScenarioError(`${where}: ${relative} does not exist (looked for ${path})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    throw new ScenarioError(`${where}: ${relative}${line ? `:${line}` : ''} is not valid JSON: ${message}`);
  }
}

/** Where a step is, for messages: `scenarios/x.yaml:12: steps.3`. */
export function stepWhere(scenario: Scenario, index: number): string {
  return `${scenario.file}:${scenario.stepLines[index] ?? 0}: steps.${index}`;
}

/**
 * Reads and validates a scenario file. With `root`, the event and input files its steps name are
 * read too, so a missing or malformed one is reported before anything runs.
 */
export function readScenario(path: string, root?: string): Scenario {
  const scenario = parseScenario(readFileSync(path, 'utf8'), path);
  if (root) {
    scenario.steps.forEach((step, i) => {
      if ('putEvent' in step && step.putEvent.sample)
        readStepJson(root, step.putEvent.sample, `${stepWhere(scenario, i)}.putEvent.sample`);
      if ('startExecution' in step && step.startExecution.inputFile)
        readStepJson(root, step.startExecution.inputFile, `${stepWhere(scenario, i)}.startExecution.inputFile`);
    });
  }
  return scenario;
}

/** Milliseconds in a duration such as `90s`. */
export function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new ScenarioError(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
