import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScenario, runScenario } from '../../sim/drill/runner.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import { deployLocalStack } from '../../sim/local-stack.js';
import { cliInProcess } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');

const cli = (...args: string[]) => cliInProcess(args);

// Generous deadlines: each test deploys the stack on a machine that may be loaded.
describe('cgw-autopilot check', { timeout: 180_000 }, () => {
  let sim: SimAccount;

  beforeAll(async () => {
    sim = await startSim();
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('on a stack without the probe: one line naming what is missing, exit 2', async () => {
    // Arrange
    await sim.reset();
    const local = await deployLocalStack(sim, { root, heartbeatSeconds: 0 });

    try {
      // Act
      const text = await cli('--endpoint', sim.endpoint, 'check');
      const json = await cli('--endpoint', sim.endpoint, 'check', '--json');

      // Assess
      expect(text.code).toBe(2);
      expect(text.stderr).toMatch(
        /^cgw-autopilot: stack \S+ has no reachability probe \(deploy it with ProbePorts.*\)\n$/,
      );
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({
        exitCode: 2,
        error: expect.stringContaining('no reachability probe'),
      });
    } finally {
      local.stop();
    }
  });

  it('an argument is refused before any AWS call', async () => {
    // Act: nothing answers at this endpoint, so any AWS call would fail differently.
    const run = await cli('--endpoint', 'http://127.0.0.1:9', 'check', 'now');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("cgw-autopilot: check takes no argument, got 'now'\n");
  });

  it('probes every name now and prints its DNS and TCP verdicts; exit 1 once a port is closed', async () => {
    // Arrange: the all-reachable probe drill's VPC, resolver rules, vendor DNS and vendor services.
    const drill = await runScenario(readScenario(resolve(root, 'scenarios/probe-all-reachable.yaml')), {
      sim,
      root,
    });
    expect(drill.error).toBeUndefined();

    // Act
    const text = await cli('--endpoint', sim.endpoint, 'check');
    const json = await cli('--endpoint', sim.endpoint, 'check', '--json');

    // Assess
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /ok {3}db\.x\.eu-west-2\.rds\.amazonaws\.com:1521 {2}dns vendor-private 10\.200\.1\.4 \(\d+ ms\) {2}tcp open \(\d+ ms\) {2}reachable/,
    );
    expect(text.stdout).toMatch(
      /ok {3}app\.vendor\.example:443 {2}dns vendor-private 10\.200\.0\.10 \(\d+ ms\) {2}tcp open/,
    );
    expect(text.stdout).toContain('reachable: all 2 names');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ allReachable: true, reachable: 2, unreachable: 0 });
    expect(report.trigger.kind).toBe('manual');
    expect(report.names.map((n: { name: string; verdict: string }) => [n.name, n.verdict])).toEqual([
      ['db.x.eu-west-2.rds.amazonaws.com', 'reachable'],
      ['app.vendor.example', 'reachable'],
    ]);
    for (const n of report.names) {
      expect(n.dns.latencyMs).toEqual(expect.any(Number));
      expect(n.tcp.latencyMs).toEqual(expect.any(Number));
    }

    // Act: the vendor closes the database's port while everything else stays healthy.
    sim.network.setVendorPort('10.200.1.4', 1521, false);
    const closed = await cli('--endpoint', sim.endpoint, 'check', '--json');

    // Assess
    expect(closed.code).toBe(1);
    const after = JSON.parse(closed.stdout);
    expect(after).toMatchObject({ allReachable: false, reachable: 1, unreachable: 1 });
    const db = after.names.find((n: { name: string }) => n.name === 'db.x.eu-west-2.rds.amazonaws.com');
    expect(db).toMatchObject({ reachable: false, dns: { verdict: 'vendor-private' } });
    expect(db.tcp.verdict).not.toBe('open');

    // Act: the command on a pipe, as a script runs it.
    const piped = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [resolve(root, 'cli/bin.mjs'), '--endpoint', sim.endpoint, 'check', '--json'],
        { cwd: root, timeout: 170_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

    // Assess: one complete JSON document, and the documented exit code.
    expect(piped.stderr).toBe('');
    expect(piped.code).toBe(1);
    expect(JSON.parse(piped.stdout)).toMatchObject({ allReachable: false, unreachable: 1 });
  });
});
