import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { groupKey } from '../functions/adapters/lease.js';
import { STORED_NAMES_KEY } from '../functions/adapters/resolver-state.js';
import { deployTemplate } from '../sim/deploy/deploy.js';
import { settle } from '../sim/drill/runner.js';
import { DrillWorld } from '../sim/drill/world.js';
import { type SimAccount, startSim } from '../sim/index.js';

/**
 * The resolver-rule reconciler end to end on the simulated account (state machine, Lambda handlers,
 * DynamoDB, Route 53 Resolver, the vendor DNS server): 200 tracked names whose chains have 3 CNAME
 * links (800 rules, 1,600 associations), a 50 ms DNS round trip and 100 ms per Resolver call.
 * Target for a run where nothing changed: at most 2 s, and Resolver calls that grow with pages of
 * rules (100 per page), not with names.
 */

const NAMES = 200;
const LINKS = 3;
const DNS_LATENCY_MS = 50;
const RESOLVER_LATENCY_MS = 100;
const TARGET_NO_CHANGE_MS = 2_000;
const root = resolve(import.meta.dirname, '..');

interface RunMeasure {
  wallMs: number;
  resolverCalls: Record<string, number>;
  result: string;
}

async function measureRun(sim: SimAccount, world: DrillWorld, input: object): Promise<RunMeasure> {
  const since = sim.log.mark();
  const started = performance.now();
  const { executionArn } = await world.call('sfn:StartExecution', {
    stateMachineArn: world.stateMachineArn('ResolverReconcilerStateMachine'),
    input: JSON.stringify(input),
  });
  await settle(sim, 600_000);
  const wallMs = performance.now() - started;
  const resolverCalls: Record<string, number> = {};
  for (const call of sim.log.all({ since, product: true, service: 'route53resolver' }))
    resolverCalls[call.action] = (resolverCalls[call.action] ?? 0) + 1;
  const described = await world.call('sfn:DescribeExecution', { executionArn });
  const output = described.output ? JSON.parse(described.output) : { result: described.status };
  return { wallMs, resolverCalls, result: `${described.status} ${output.result}` };
}

function line(label: string, m: RunMeasure): string {
  const total = Object.values(m.resolverCalls).reduce((a, b) => a + b, 0);
  const calls = Object.entries(m.resolverCalls)
    .sort()
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
  return `${label.padEnd(12)} ${(m.wallMs / 1000).toFixed(2).padStart(7)} s  ${String(total).padStart(5)} Resolver calls (${calls})  ${m.result}`;
}

export async function run(): Promise<string> {
  const sim = await startSim();
  try {
    const topology = new DrillWorld(sim, { physical: {} } as never, root);
    await topology.build({
      vpcs: [
        {
          name: 'app',
          cidr: '10.0.0.0/16',
          subnets: [
            { name: 'a', cidr: '10.0.1.0/24' },
            { name: 'b', cidr: '10.0.2.0/24' },
          ],
        },
        { name: 'data', cidr: '10.1.0.0/16', subnets: [] },
      ],
      resolverEndpoints: [{ name: 'outbound', direction: 'OUTBOUND', subnets: ['app.a', 'app.b'] }],
    });
    const names = Array.from({ length: NAMES }, (_, i) => `db${i}.vendor-db.example`);
    names.forEach((name, i) => {
      let current = name;
      for (let link = 1; link <= LINKS; link++) {
        const next = `h${link}-${i}.vendor-hosts.example`;
        sim.dns.setCname(current, next);
        current = next;
      }
      sim.dns.setA(current, [`10.200.${i % 250}.${link4(i)}`]);
    });
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: {
        VendorDnsTargets: sim.dns.servers().join(','),
        OutboundResolverEndpointId: topology.ref('endpoint', 'outbound'),
        ResolverVpcIds: `${topology.ref('vpc', 'app')},${topology.ref('vpc', 'data')}`,
        ResolverSubnetIds: `${topology.ref('subnet', 'app.a')},${topology.ref('subnet', 'app.b')}`,
        ResolverSecurityGroupVpcId: topology.ref('vpc', 'app'),
        ResolverDnsEgressCidr: '10.200.0.0/16',
        VendorCidrs: '10.200.0.0/16',
        ResolverMaxChangesPerRun: '5000',
        SweepSchedule: 'rate(1 day)',
      },
    });
    const world = new DrillWorld(sim, stack, root);
    // 200 names are more than a template parameter holds: they are stored in the state table, as
    // `npm run resolver-names` stores them.
    await world.call('dynamodb:PutItem', {
      TableName: stack.physical.StateTable!.split('/').pop(),
      Item: {
        pk: { S: groupKey('vendor-vpn') },
        sk: { S: STORED_NAMES_KEY },
        trackedNames: { L: names.map((name) => ({ S: name })) },
      },
    });
    sim.dns.setLatency(DNS_LATENCY_MS);
    sim.faults.add({ service: 'route53resolver', latencyMs: RESOLVER_LATENCY_MS });

    const first = await measureRun(sim, world, { operation: 'reconcile', requestedBy: 'bench' });
    const warm = await measureRun(sim, world, { operation: 'reconcile', requestedBy: 'bench' });
    const noChange = await measureRun(sim, world, { operation: 'reconcile', requestedBy: 'bench' });
    const verdict =
      noChange.wallMs <= TARGET_NO_CHANGE_MS ? 'within' : `OVER (${(noChange.wallMs / 1000).toFixed(2)} s)`;
    return [
      `${NAMES} tracked names x ${LINKS} CNAME links = ${NAMES * (LINKS + 1)} rules in 2 VPCs; DNS ${DNS_LATENCY_MS} ms, Resolver ${RESOLVER_LATENCY_MS} ms per call`,
      line('first run', first),
      line('no change 1', warm),
      line('no change 2', noChange),
      `no-change target ${TARGET_NO_CHANGE_MS / 1000} s: ${verdict}`,
    ].join('\n');
  } finally {
    await sim.stop();
  }
}

function link4(i: number): number {
  return 1 + Math.floor(i / 250);
}
