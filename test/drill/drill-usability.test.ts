import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCommand } from '../../sim/command.js';
import { readScenario, runScenario } from '../../sim/drill/runner.js';
import { Topology } from '../../sim/drill/topology.js';
import { startSim } from '../../sim/index.js';

const root = resolve(import.meta.dirname, '../..');
const bad = 'test/fixtures/drill-bad';
/** Generous: a child deploys the template and plays a scenario on a loaded 2-core machine. */
const CHILD_TIMEOUT_MS = 300_000;

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Child> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: root, timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** `npm run sim -- ...args` in this process, for the arguments it answers with an exit code. */
async function simHere(...args: string[]): Promise<Child> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const result = await startSimCommand(args, {
    out: (text) => stdout.push(`${text}\n`),
    err: (text) => stderr.push(`${text}\n`),
  });
  if (typeof result !== 'number') {
    await result.stop();
    throw new Error(`npm run sim ${args.join(' ')} started an account instead of answering`);
  }
  return { code: result, stdout: stdout.join(''), stderr: stderr.join('') };
}

function parseFailure(parse: () => unknown): Error {
  try {
    parse();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the scenario to be rejected, but it parsed');
}

// The one test of the drill as a process (test/drill/drill.test.ts tests the command in this process):
// npm runs sim/drill/cli.ts with tsx, which must pass the arguments through, write everything to a pipe
// and exit with the command's status.
describe('the drill in a pipe', () => {
  it('npm run -s drill -- --json writes one complete JSON document past 128 KiB, with execution outputs, and ignores a stray AWS_ENDPOINT_URL', {
    timeout: CHILD_TIMEOUT_MS,
  }, async () => {
    // Act: nothing listens on port 9, so a silent switch to it would fail the scenario.
    const child = await run(
      'npm',
      ['run', '-s', 'drill', '--', '--json', '--verbose', 'routes-manual-failover-dry-run'],
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    );

    // Assess
    expect(child.stdout.length).toBeGreaterThan(131_072);
    const results = JSON.parse(child.stdout);
    expect(child.code).toBe(0);
    expect(results[0].ok).toBe(true);
    expect(results[0].outputs.map((o: { output: { result: string } }) => o.output.result)).toContain('dry-run');
    expect(child.stderr).toContain('drill: AWS_ENDPOINT_URL is set (http://127.0.0.1:9) and ignored');
  });
});

describe('scenario files, checked before anything runs', () => {
  it('a malformed event file is named with its line, and so is the step that uses it', () => {
    // Act
    const error = parseFailure(() => readScenario(resolve(root, bad, 'malformed-event.yaml'), root));

    // Assess
    expect(error.message).toMatch(
      /malformed-event\.yaml:8: steps\.1\.putEvent\.sample: test\/fixtures\/drill-bad\/events\/malformed\.json:3 is not valid JSON: /,
    );
  });

  it('an instance name the topology does not have is caught at parse, with its line; replaced instances count', () => {
    // Act
    const error = parseFailure(() => readScenario(resolve(root, bad, 'unknown-instance.yaml')));

    // Assess
    const lines = error.message.split('\n');
    expect(lines).toEqual([
      `${resolve(root, bad, 'unknown-instance.yaml')}:13: steps.3.{{instance.cgw-b}}: no instance named cgw-b in the topology (known: cgw-a, cgw-a2)`,
      `${resolve(root, bad, 'unknown-instance.yaml')}:14: steps.4.start: no instance named cgw-x in the topology (known: cgw-a, cgw-a2)`,
    ]);
  });

  it('a typo in a step kind lists the kinds, and points at nothing that does not exist', () => {
    // Act
    const error = parseFailure(() => readScenario(resolve(root, bad, 'step-typo.yaml')));

    // Assess
    expect(error.message).toContain(
      'step-typo.yaml:3: steps.0: not a known kind of step (one of: putEvent, aws, terminate,',
    );
    expect(error.message).toContain('see "Writing a scenario" in README.md');
    expect(error.message).not.toContain('scenarios/README.md');
  });

  it('the README cites only files the project has', () => {
    // Arrange
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

    // Act
    const cited = [...readme.matchAll(/\b((?:[\w.-]+\/)*[\w-]+\.(?:md|ya?ml|json|ts))\b/g)].map((m) => m[1]!);
    const missing = [...new Set(cited)].filter(
      (path) => path.includes('/') && !path.includes('*') && !existsSync(resolve(root, path)),
    );

    // Assess
    expect(readme).not.toContain('DESIGN.md');
    expect(missing.filter((p) => /\.md$/.test(p))).toEqual([]);
  });
});

describe('user scenarios', () => {
  it('a topology can give VPCs and subnets IPv6 blocks', { timeout: 60_000 }, async () => {
    // Arrange
    const sim = await startSim();
    try {
      const world = new Topology(sim);

      // Act
      await world.build({
        vpcs: [
          {
            name: 'app',
            cidr: '10.0.0.0/16',
            ipv6: true,
            subnets: [
              { name: 'a', cidr: '10.0.1.0/24', ipv6: true },
              { name: 'b', cidr: '10.0.2.0/24', ipv6: true },
            ],
          },
        ],
      });
      const { Vpcs } = await world.call('ec2:DescribeVpcs', { VpcIds: [world.names.vpc.app] });
      const { Subnets } = await world.call('ec2:DescribeSubnets', {
        Filters: [{ Name: 'vpc-id', Values: [world.names.vpc.app] }],
      });

      // Assess
      const block: string = Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock;
      expect(block).toMatch(/::\/56$/);
      const subnetBlocks = Subnets.map(
        (s: { Ipv6CidrBlockAssociationSet: { Ipv6CidrBlock: string }[] }) =>
          s.Ipv6CidrBlockAssociationSet[0]!.Ipv6CidrBlock,
      );
      expect(subnetBlocks).toHaveLength(2);
      expect(new Set(subnetBlocks).size).toBe(2);
      for (const b of subnetBlocks) expect(b).toMatch(/::\/64$/);
    } finally {
      await sim.stop();
    }
  });

  it('a failing expectation says why: the last decision and its reason; the result has every execution output', {
    timeout: CHILD_TIMEOUT_MS,
  }, async () => {
    // Arrange
    const sim = await startSim();
    try {
      const scenario = readScenario(resolve(root, 'test/fixtures/drill-user/no-healthy-wrong-expectation.yaml'), root);

      // Act
      const result = await runScenario(scenario, { sim, root });

      // Assess
      expect(result.ok).toBe(false);
      expect(result.error).toBeUndefined();
      expect(result.why.some((line) => /^RouteReconcilerStateMachine .*: no-healthy-member: /.test(line))).toBe(true);
      expect(result.outputs.length).toBeGreaterThanOrEqual(3);
      expect(result.outputs.at(-1)).toMatchObject({ stateMachine: 'RouteReconcilerStateMachine', status: 'SUCCEEDED' });
      expect(result.outputs.at(-1)?.output).toMatchObject({ result: 'no-healthy-member' });
    } finally {
      await sim.stop();
    }
  });
});

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('npm run sim', () => {
  let busy: ReturnType<typeof createServer>;
  let busyPort: number;

  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => busy.close(() => done()));
  });

  it('--help, an unknown flag and a port in use answer in one line, without a stack trace', async () => {
    // Act: the command in this process; the next test runs it as npm does.
    const help = await simHere('--help');
    const flag = await simHere('--bogus');
    const inUse = await simHere('--empty', '--port', String(busyPort));

    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run sim -- [--port N] [--host ADDRESS] [--empty] [--manual-clock]');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^sim: Unknown option '--bogus'.*\n$/);
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toBe(
      `sim: port ${busyPort} on 127.0.0.1 is in use (another npm run sim?); pick another with --port\n`,
    );
  });

  it('SIGTERM to npm run sim frees its port', { timeout: CHILD_TIMEOUT_MS }, async () => {
    // Arrange
    const port = await freePort();
    const child = spawn('npm', ['run', '-s', 'sim', '--', '--empty', '--port', String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 240_000;
    while (!output.includes('listening on') && Date.now() < deadline) await sleep(200);
    expect(await listening(port)).toBe(true);

    // Act
    child.kill('SIGTERM');
    let open = true;
    while (open && Date.now() < deadline) {
      await sleep(250);
      open = await listening(port);
    }

    // Assess
    expect(open).toBe(false);
  });
});
