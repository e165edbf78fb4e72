import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentReportDetail } from '../../functions/core/triggers.js';

// The agent script run for real by /bin/sh, with stand-ins for what a gateway has: charon (swanctl),
// FRR (vtysh), the AWS CLI (records each PutEvents call, fails on request) and IMDSv2 (a token first).
// The lab (test/lab) runs it against real strongSwan, FRR, the AWS CLI and the simulated account.

const root = resolve(import.meta.dirname, '../..');
const AGENT = join(root, 'gateway/cgw-agent');
const HOOK = join(root, 'gateway/cgw-agent-updown');
const INSTANCE = 'i-0123456789abcdef0';

let imds: Server;
let imdsUrl: string;
const imdsRequests: string[] = [];

beforeAll(async () => {
  const tokens = new Set<string>();
  imds = createServer((req, res) => {
    imdsRequests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      const token = `token-${tokens.size + 1}`;
      tokens.add(token);
      res.end(token);
      return;
    }
    // IMDSv2 only: a read without a valid session token is refused, as with HttpTokens=required.
    if (!tokens.has(String(req.headers['x-aws-ec2-metadata-token']))) {
      res.statusCode = 401;
      res.end();
      return;
    }
    const answers: Record<string, string> = {
      '/latest/meta-data/instance-id': INSTANCE,
      '/latest/meta-data/placement/region': 'eu-west-2',
      '/latest/meta-data/iam/security-credentials/': 'gateway-role',
      '/latest/meta-data/iam/security-credentials/gateway-role': JSON.stringify(
        {
          Code: 'Success',
          Type: 'AWS-HMAC',
          AccessKeyId: 'ASIAROLEKEY',
          SecretAccessKey: 'role-secret',
          Token: 'role-session-token',
          Expiration: '2030-01-01T00:00:00Z',
        },
        null,
        2,
      ),
    };
    const answer = answers[req.url ?? ''];
    res.statusCode = answer === undefined ? 404 : 200;
    res.end(answer ?? '');
  });
  await new Promise<void>((done) => imds.listen(0, '127.0.0.1', done));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => imds.close(() => done())));

const SAS_UP = `Tunnel1: #1, ESTABLISHED, IKEv2, 1234_i 5678_r*
  local  '10.0.0.10' @ 10.0.0.10[4500]
  Tunnel1: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128
Tunnel2: #2, ESTABLISHED, IKEv2, 9abc_i def0_r*
  Tunnel2: #2, reqid 2, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128
`;
const bgpJson = (state1: string, state2: string) =>
  JSON.stringify(
    {
      ipv4Unicast: {
        routerId: '10.0.0.10',
        as: 65000,
        peers: {
          '169.254.10.1': { remoteAs: 64512, version: 4, state: state1, peerState: 'OK', pfxRcd: 1 },
          '169.254.11.1': { remoteAs: 64512, version: 4, state: state2, peerState: 'OK', pfxRcd: 1 },
        },
        totalPeers: 2,
      },
    },
    null,
    2,
  );

interface Gateway {
  dir: string;
  runDir: string;
  agent: ChildProcess;
  stderr: string[];
}
const gateways: Gateway[] = [];

afterEach(async () => {
  for (const gw of gateways.splice(0)) {
    await stopAgent(gw);
    rmSync(gw.dir, { recursive: true, force: true });
  }
});

function fakeTools(dir: string): void {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const tool = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  tool('swanctl', `case "$*" in *--list-conns*) echo 'Tunnel1: IKEv2' ;; *) cat "${dir}/sas.txt" ;; esac`);
  tool(
    'vtysh',
    `case "$*" in *'show bgp summary json'*) cat "${dir}/bgp.json" ;; *'show bfd peers json'*) cat "${dir}/bfd.json" ;; *) exit 1 ;; esac`,
  );
  // The AWS CLI: one line per call with its arguments and the entries it was given.
  tool(
    'aws',
    `n=$(cat "${dir}/fail" 2>/dev/null || echo 0)
file=$(printf '%s\\n' "$@" | sed -n 's|^file://||p')
if [ "$n" -gt 0 ]; then echo $((n - 1)) > "${dir}/fail"; echo "failed $(tr -d '\\n' < "$file")" >> "${dir}/aws.log"; echo 'Could not connect to the endpoint URL' >&2; exit 255; fi
echo "sent $* $(tr -d '\\n' < "$file")" >> "${dir}/aws.log"
echo 0`,
  );
}

/** Starts the agent on a new gateway, or again on `previous`'s (same run directory, as systemd keeps it). */
function startGateway(env: Record<string, string> = {}, previous?: Gateway): Gateway {
  const dir = previous?.dir ?? mkdtempSync(join(tmpdir(), 'cgw-agent-'));
  if (previous === undefined) {
    fakeTools(dir);
    writeFileSync(join(dir, 'sas.txt'), SAS_UP);
    writeFileSync(join(dir, 'bgp.json'), bgpJson('Established', 'Established'));
    writeFileSync(join(dir, 'bfd.json'), '[]');
  }
  const runDir = join(dir, 'run');
  const agent = spawn('/bin/sh', [AGENT, 'run'], {
    env: {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      CGW_CONFIG: join(dir, 'none.conf'),
      CGW_TUNNELS: 'Tunnel1 Tunnel2',
      CGW_IPSEC: 'auto',
      CGW_BGP: 'frr',
      CGW_IMDS: imdsUrl,
      CGW_RUN_DIR: runDir,
      CGW_HEARTBEAT_SECONDS: '3600',
      CGW_POLL_SECONDS: '0.2',
      CGW_MAX_BACKOFF_SECONDS: '1',
      CGW_BGP_SETTLE_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, as systemd gives the unit its own control group: stopAgent stops them all.
    detached: true,
  });
  const stderr: string[] = [];
  agent.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const gw = { dir, runDir, agent, stderr };
  if (previous === undefined) gateways.push(gw);
  else gateways.splice(gateways.indexOf(previous), 1, gw);
  return gw;
}

/**
 * Stops the agent as its unit does (`KillMode=control-group`, `TimeoutStopSec=10`): SIGTERM to every
 * process of its group at once, SIGKILL to what is left after 10 s, and returns once none is left.
 * The agent alone would exit at once while a PutEvents call it started runs on and then writes into
 * the run folder (CI saw the folder's removal fail with ENOTEMPTY).
 */
async function stopAgent(gw: Gateway): Promise<void> {
  const group = -gw.agent.pid!;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(group, name);
      return true;
    } catch {
      return false; // ESRCH: no process left in the group
    }
  };
  const killAt = Date.now() + 10_000;
  let killed = false;
  signal('SIGTERM');
  while (signal(0)) {
    if (!killed && Date.now() > killAt) killed = signal('SIGKILL');
    // A deadline only a machine that never reaps its orphans reaches: fail, rather than hang.
    if (Date.now() > killAt + 10_000) throw new Error(`the agent's process group ${-group} outlived SIGKILL by 10 s`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

interface Sent {
  args: string;
  entries: { Source: string; DetailType: string; EventBusName: string; detail: Record<string, unknown> }[];
}

/** Every PutEvents call the agent made, in order, with each entry's detail parsed. */
function calls(gw: Gateway, kind: 'sent' | 'failed' = 'sent'): Sent[] {
  let log = '';
  try {
    log = readFileSync(join(gw.dir, 'aws.log'), 'utf8');
  } catch {
    return [];
  }
  // Only whole lines: a stand-in may be writing the last one while the test reads.
  const whole = log.endsWith('\n') ? log : log.slice(0, log.lastIndexOf('\n') + 1);
  return whole
    .split('\n')
    .filter((line) => line.startsWith(`${kind} `))
    .map((line) => {
      const json = line.slice(line.indexOf('['));
      const entries = JSON.parse(json) as (Omit<Sent['entries'][number], 'detail'> & { Detail: string })[];
      return {
        args: line.slice(0, line.indexOf('[')),
        entries: entries.map(({ Detail, ...rest }) => ({ ...rest, detail: JSON.parse(Detail) })),
      };
    });
}
const firstTunnel = (report: Record<string, unknown>) => (report.tunnels as { status: string }[])[0]?.status;
const reports = (gw: Gateway) => calls(gw).flatMap((call) => call.entries.map((entry) => entry.detail));

async function until<T>(what: string, gw: Gateway, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agent said:\n${gw.stderr.join('')}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function hook(gw: Gateway, verb: string, connection: string): void {
  execFileSync('/bin/sh', [HOOK], {
    env: { CGW_RUN_DIR: gw.runDir, PLUTO_VERB: verb, PLUTO_CONNECTION: connection, PATH: process.env.PATH },
  });
}

describe('the gateway agent', () => {
  it('reports at boot through PutEvents, with identity from IMDSv2, a boot id and sequence 1', async () => {
    // Act
    const gw = startGateway({ CGW_BOOT_ID_FILE: join(tmpdir(), 'no-such-boot-id') });
    const [call] = await until('the boot report', gw, () => calls(gw)[0] && calls(gw));

    // Assess
    expect(call!.args).toContain('events put-events --region eu-west-2');
    expect(call!.entries).toHaveLength(1);
    const [entry] = call!.entries;
    expect(entry).toMatchObject({
      Source: 'cgw-autopilot.agent',
      DetailType: 'Gateway Tunnel State',
      EventBusName: 'default',
    });
    expect(entry!.detail).toMatchObject({
      group: 'vendor-vpn',
      instanceId: INSTANCE,
      tunnels: [
        { name: 'Tunnel1', status: 'up' },
        { name: 'Tunnel2', status: 'up' },
      ],
      bgp: 'up',
      sequence: 1,
      reason: 'boot',
    });
    // What the product's intake accepts, field for field.
    expect(agentReportDetail.safeParse(entry!.detail).success).toBe(true);
    expect(imdsRequests).toContain('PUT /latest/api/token');
  });

  it('debounces the hook calls of one event (one per pair of traffic selectors) into one report', async () => {
    // Prepare: the hook must be quiet for 1 s before the agent reports (a loaded machine runs sh slowly).
    const gw = startGateway({ CGW_DEBOUNCE_SECONDS: '1' });
    await until('the boot report', gw, () => reports(gw).length === 1);

    // Act: the VGW closes both tunnels; charon calls the hook twice for each.
    // Charon calls the hook before it removes the CHILD_SA.
    hook(gw, 'down-client', 'Tunnel1');
    hook(gw, 'down-client', 'Tunnel1');
    writeFileSync(join(gw.dir, 'sas.txt'), SAS_UP.split('\n').slice(3).join('\n'));
    hook(gw, 'down-client', 'Tunnel2');
    hook(gw, 'down-client', 'Tunnel2');
    writeFileSync(join(gw.dir, 'sas.txt'), '');
    await until('the agent to take the calls', gw, () => gw.stderr.join('').includes('updown hook called 4 time(s)'));
    await until('the report to be sent', gw, () => reports(gw).length >= 2);

    // Assess: one report, with both tunnels down, not one for Tunnel1 and then one for both.
    expect(reports(gw).slice(1)).toEqual([
      expect.objectContaining({
        tunnels: [
          { name: 'Tunnel1', status: 'down' },
          { name: 'Tunnel2', status: 'down' },
        ],
        sequence: 2,
        reason: 'updown',
      }),
    ]);
  });

  it('the hook returns at once, and also when no agent runs', () => {
    // Prepare
    const gw = startGateway();

    // Act
    const noAgent = () =>
      execFileSync('/bin/sh', [HOOK], { env: { CGW_RUN_DIR: join(gw.dir, 'nowhere'), PLUTO_VERB: 'up-client' } });
    const chained = execFileSync('/bin/sh', [HOOK, '/bin/echo', 'chained', 'hook'], {
      env: { CGW_RUN_DIR: join(gw.dir, 'nowhere'), PLUTO_VERB: 'up-client' },
    });

    // Assess: a hook placed before it (the sample template's aws-updown.sh) still runs, with its arguments.
    expect(noAgent).not.toThrow();
    expect(chained.toString()).toBe('chained hook\n');
  });

  it('reports BGP down as soon as the neighbours leave Established, tunnels still up (ESP lost, IKE passing)', async () => {
    // Prepare
    const gw = startGateway();
    await until('the boot report', gw, () => reports(gw).length === 1);

    // Act
    writeFileSync(join(gw.dir, 'bgp.json'), bgpJson('Active', 'Connect'));
    const second = await until('the BGP report', gw, () => reports(gw)[1]);

    // Assess
    expect(second).toMatchObject({ bgp: 'down', reason: 'bgp', sequence: 2 });
    expect(second.tunnels).toEqual([
      { name: 'Tunnel1', status: 'up' },
      { name: 'Tunnel2', status: 'up' },
    ]);
  });

  it('reports BGP unknown, not down, while the sessions settle after a tunnel came up (a charon restart)', async () => {
    // Prepare: both tunnels down, BGP down.
    const gw = startGateway({ CGW_BGP_SETTLE_SECONDS: '60' });
    writeFileSync(join(gw.dir, 'sas.txt'), '');
    writeFileSync(join(gw.dir, 'bgp.json'), bgpJson('Active', 'Active'));
    await until('the down report', gw, () => reports(gw).find((r) => firstTunnel(r) === 'down'));

    // Act: the tunnels come back; BGP is still connecting.
    hook(gw, 'up-client', 'Tunnel1');
    writeFileSync(join(gw.dir, 'sas.txt'), SAS_UP);
    const back = await until('the up report', gw, () => reports(gw).find((r) => firstTunnel(r) === 'up'));

    // Assess
    expect(back).toMatchObject({ bgp: 'unknown', reason: 'updown' });
  });

  it('with BFD on, counts a neighbour whose BFD session is down as down', async () => {
    // Prepare
    const gw = startGateway({ CGW_BFD: '1' });
    writeFileSync(
      join(gw.dir, 'bfd.json'),
      JSON.stringify([
        { peer: '169.254.10.1', status: 'up' },
        { peer: '169.254.11.1', status: 'up' },
      ]),
    );
    await until('the boot report', gw, () => reports(gw).length === 1);

    // Act
    writeFileSync(
      join(gw.dir, 'bfd.json'),
      JSON.stringify([
        { peer: '169.254.10.1', status: 'down' },
        { peer: '169.254.11.1', status: 'down' },
      ]),
    );
    const second = await until('the BFD report', gw, () => reports(gw)[1]);

    // Assess
    expect(second).toMatchObject({ bgp: 'down', reason: 'bfd' });
  });

  it('keeps reports it could not send and sends each once PutEvents works again', async () => {
    // Prepare: the next three PutEvents calls fail.
    const gw = startGateway();
    await until('the boot report', gw, () => reports(gw).length === 1);
    writeFileSync(join(gw.dir, 'fail'), '3');

    // Act: two changes while the endpoint is unreachable.
    writeFileSync(join(gw.dir, 'bgp.json'), bgpJson('Active', 'Active'));
    await until('a failed send', gw, () => calls(gw, 'failed').length >= 1);
    writeFileSync(join(gw.dir, 'bgp.json'), bgpJson('Established', 'Active'));
    await until('both reports sent', gw, () => reports(gw).length >= 3);

    // Assess: every report arrives once; calls may overlap, so the product orders them by sequence.
    const delivered = reports(gw).map((report) => [report.sequence, report.bgp] as [number, string]);
    expect(delivered.sort((x, y) => x[0] - y[0])).toEqual([
      [1, 'up'],
      [2, 'down'],
      [3, 'up'],
    ]);
    expect(calls(gw, 'failed').length).toBe(3);
  });

  it('sends a heartbeat when nothing changes', async () => {
    // Act
    const gw = startGateway({ CGW_HEARTBEAT_SECONDS: '1' });
    const heartbeat = await until('a heartbeat', gw, () => reports(gw).find((r) => r.reason === 'heartbeat'));

    // Assess
    expect(heartbeat).toMatchObject({ bgp: 'up', sequence: expect.any(Number) });
    expect(heartbeat.sequence).toBeGreaterThan(1);
  });

  it('continues the sequence when the agent restarts within a boot, and reports that start as a heartbeat', async () => {
    // Prepare
    const first = startGateway();
    await until('the boot report', first, () => reports(first).length === 1);
    await stopAgent(first);

    // Act
    const again = startGateway({}, first);
    // The boot report may be sent again: stopped while its call was under way, it is pending again.
    const report = await until('the restart report', again, () => reports(again).find((r) => r.sequence !== 1));

    // Assess
    expect(report).toMatchObject({ sequence: 2, reason: 'heartbeat' });
    expect(
      reports(again)
        .filter((r) => r.sequence === 1)
        .every((r) => r.reason === 'boot'),
    ).toBe(true);
  });

  it('sends with curl SigV4 when asked, signed with the instance role from IMDSv2', async () => {
    // Prepare: an EventBridge stand-in that records what it is sent.
    const received: { target: string; auth: string; token: string; body: string }[] = [];
    const events = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({
          target: String(req.headers['x-amz-target']),
          auth: String(req.headers.authorization),
          token: String(req.headers['x-amz-security-token']),
          body,
        });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
      });
    });
    await new Promise<void>((done) => events.listen(0, '127.0.0.1', done));
    const endpoint = `http://127.0.0.1:${(events.address() as AddressInfo).port}`;

    // Act
    const gw = startGateway({ CGW_SENDER: 'curl', CGW_ENDPOINT_URL: endpoint });
    await until('the boot report over curl', gw, () => received.length >= 1);
    await new Promise<void>((done) => events.close(() => done()));

    // Assess
    const [request] = received;
    expect(request!.target).toBe('AWSEvents.PutEvents');
    expect(request!.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAROLEKEY\/\d{8}\/eu-west-2\/events\/aws4_request, /);
    expect(request!.token).toBe('role-session-token');
    expect(request!.auth).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,');
    const entry = JSON.parse(request!.body).Entries[0];
    expect(entry).toMatchObject({ Source: 'cgw-autopilot.agent', DetailType: 'Gateway Tunnel State' });
    expect(JSON.parse(entry.Detail)).toMatchObject({ instanceId: INSTANCE, sequence: 1, reason: 'boot' });
    await until('the report to leave the spool', gw, () => gw.stderr.join('').includes('sent report(s) 1'));
  });

  it('refuses to start on a bad setting, naming it', () => {
    // Act
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync('/bin/sh', [AGENT, 'status'], {
        env: { PATH: process.env.PATH, CGW_CONFIG: '/nonexistent', CGW_TUNNELS: 'Tunnel 1;rm' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      failure = { status: e.status, stderr: e.stderr.toString() };
    }

    // Assess
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toContain("CGW_TUNNELS: '1;rm' may hold only letters, digits");
  });
});
