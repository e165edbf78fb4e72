import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { groupKey } from '../functions/adapters/lease.js';
import { applyResolverActions } from '../functions/adapters/resolver-rules.js';
import { STORED_NAMES_KEY } from '../functions/adapters/resolver-state.js';
import { type NameResolution, parseResolverConfig, planResolverRules } from '../functions/core/resolver-rules/index.js';
import { deployTemplate } from '../sim/deploy/deploy.js';
import { settle } from '../sim/drill/runner.js';
import { Topology } from '../sim/drill/topology.js';
import { DrillWorld } from '../sim/drill/world.js';
import { type SimAccount, startSim } from '../sim/index.js';
import type { ResolverService } from '../sim/services/resolver/service.js';
import { resolverClient } from '../test/sim/resolver-fixtures.js';

/**
 * The resolver-rule reconciler end to end on the simulated account (state machine, Lambda handlers,
 * DynamoDB, Route 53 Resolver, the vendor DNS server) at 200, 1,000 and 2,000 tracked names whose
 * chains have 3 CNAME links (4 rules per name, each associated with 2 VPCs). The first run creates
 * everything without added latency (it is the setup, reported for its call counts); the two runs
 * after it change nothing and run with a 50 ms DNS round trip and 100 ms per Resolver call.
 * Target for a run where nothing changed: at most 3 s at 1,000 names, and Resolver calls that grow
 * with pages of 100 (ListResolverRules' and ListResolverRuleAssociations' largest MaxResults), not
 * with names. `BENCH_RESOLVER_NAMES=200,1000` picks the sizes.
 *
 * Setup: the rules and associations are created first by the product's own plan and apply adapter
 * (core and adapters/resolver-rules.ts, 40 calls at once, no lease), which takes seconds where the
 * reconciler's first run (5 calls at once, each fenced by the lease) takes minutes at these sizes.
 * The reconciler's first run then finds them all and stores the names' history.
 */

const SIZES = (process.env.BENCH_RESOLVER_NAMES ?? '200,1000,2000').split(',').map(Number);
const LINKS = 3;
const DNS_LATENCY_MS = 50;
const RESOLVER_LATENCY_MS = 100;
const TARGET_NO_CHANGE_MS = 3_000;
const TARGET_NAMES = 1_000;
const root = resolve(import.meta.dirname, '..');

interface RunMeasure {
  wallMs: number;
  resolverCalls: Record<string, number>;
  dynamoCalls: Record<string, number>;
  dnsQueries: number;
  /** When, after the start, the Resolver listing began and ended and the last DNS query arrived. */
  timeline: string;
  result: string;
}

/** Creates the rules and associations the reconciler wants, as its own plan and apply adapter make them. */
async function seedRules(sim: SimAccount, env: Record<string, string>, tracked: string[], chains: string[][]) {
  const config = parseResolverConfig({ ...env, RESOLVER_TRACKED_NAMES: tracked.join(',') });
  const resolutions: Record<string, NameResolution> = Object.fromEntries(
    tracked.map((name, i) => [name, { status: 'resolved', chain: chains[i] as string[] }]),
  );
  const plan = planResolverRules({
    config: { ...config, maxChangesPerRun: Number.MAX_SAFE_INTEGER },
    resolutions,
    history: { lastSeenAt: {}, lastKnownChains: {} },
    observedRules: [],
    unmanagedAssociations: [],
    now: new Date().toISOString(),
  });
  const outcomes = await applyResolverActions(plan.actions, [], { concurrency: 40, client: resolverClient(sim) });
  const failed = outcomes.filter((o) => o.status !== 'applied');
  if (failed.length > 0)
    throw new Error(`seeding: ${failed.length} actions not applied, first: ${JSON.stringify(failed[0])}`);
  return plan.actions.length;
}

function countBy(sim: SimAccount, since: number, service: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of sim.log.all({ since, product: true, service }))
    counts[call.action] = (counts[call.action] ?? 0) + 1;
  return counts;
}

async function measureRun(sim: SimAccount, world: DrillWorld): Promise<RunMeasure> {
  const since = sim.log.mark();
  const dnsBefore = sim.dns.queryCount();
  const started = performance.now();
  const { executionArn } = await world.call('sfn:StartExecution', {
    stateMachineArn: world.stateMachineArn('ResolverReconcilerStateMachine'),
    input: JSON.stringify({ operation: 'reconcile', requestedBy: 'bench' }),
  });
  await settle(sim, 1_800_000);
  const wallMs = performance.now() - started;
  const measure = {
    wallMs,
    resolverCalls: countBy(sim, since, 'route53resolver'),
    dynamoCalls: countBy(sim, since, 'dynamodb'),
    dnsQueries: sim.dns.queryCount() - dnsBefore,
  };
  const resolverLog = sim.log.all({ since, product: true, service: 'route53resolver' });
  const lastDns = sim.dns.queries({}).at(-1)?.at;
  const after = (at: number | undefined) => (at === undefined ? '-' : ((at - started) / 1000).toFixed(2));
  const timeline = `Resolver ${after(resolverLog[0]?.start)}-${after(resolverLog.length ? Math.max(...resolverLog.map((r) => r.end)) : undefined)} s, last DNS query ${after(measure.dnsQueries > 0 ? lastDns : undefined)} s`;
  const described = await world.call('sfn:DescribeExecution', { executionArn });
  const output = described.output ? JSON.parse(described.output) : { result: described.status };
  const failure = described.status === 'FAILED' ? ` ${described.error}: ${String(described.cause).slice(0, 300)}` : '';
  return { ...measure, timeline, result: `${described.status} ${output.result ?? ''}${failure}`.trim() };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const byAction = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort()
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');

function line(names: number, label: string, m: RunMeasure): string {
  return [
    `${String(names).padStart(5)} ${label.padEnd(12)} ${(m.wallMs / 1000).toFixed(2).padStart(7)} s`,
    `Resolver ${total(m.resolverCalls)} (${byAction(m.resolverCalls)})`,
    `DynamoDB ${total(m.dynamoCalls)}`,
    `DNS ${m.dnsQueries}`,
    m.result,
    m.timeline,
  ].join(' | ');
}

async function measureSize(names: number): Promise<{ lines: string[]; noChange: RunMeasure }> {
  const sim = await startSim();
  try {
    const topology = new Topology(sim);
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
    // 4 rules per name and 2 associations per rule pass the default quotas (1,000 rules, 2,000
    // associations per region) beyond 250 names: the account has had them raised, as Service Quotas allows.
    sim.service<ResolverService>('route53resolver').raiseQuotas({
      rulesPerRegion: Math.max(1_000, names * (LINKS + 1) + 10),
      associationsPerRegion: Math.max(2_000, names * (LINKS + 1) * 2 + 10),
    });
    const tracked = Array.from({ length: names }, (_, i) => `db${i}.vendor-db.example`);
    const chains = tracked.map((name, i) => {
      const chain = [name];
      for (let link = 1; link <= LINKS; link++) {
        const next = `h${link}-${i}.vendor-hosts.example`;
        sim.dns.setCname(chain.at(-1) as string, next);
        chain.push(next);
      }
      sim.dns.setA(chain.at(-1) as string, [`10.200.${i % 250}.${1 + Math.floor(i / 250)}`]);
      return chain;
    });
    const seedEnv = {
      GROUP_NAME: 'vendor-vpn',
      RESOLVER_TARGET_IPS: sim.dns.servers().join(','),
      RESOLVER_OUTBOUND_ENDPOINT_ID: topology.ref('endpoint', 'outbound'),
      RESOLVER_VPC_IDS: `${topology.ref('vpc', 'app')},${topology.ref('vpc', 'data')}`,
    };
    const seedStarted = performance.now();
    const seeded = await seedRules(sim, seedEnv, tracked, chains);
    const seedSeconds = ((performance.now() - seedStarted) / 1000).toFixed(1);
    const stack = await deployTemplate({
      templatePath: resolve(root, 'template.yaml'),
      sim,
      parameterOverrides: {
        VendorDnsTargets: seedEnv.RESOLVER_TARGET_IPS,
        OutboundResolverEndpointId: seedEnv.RESOLVER_OUTBOUND_ENDPOINT_ID,
        ResolverVpcIds: seedEnv.RESOLVER_VPC_IDS,
        ResolverSubnetIds: `${topology.ref('subnet', 'app.a')},${topology.ref('subnet', 'app.b')}`,
        ResolverSecurityGroupVpcId: topology.ref('vpc', 'app'),
        ResolverDnsEgressCidr: '10.200.0.0/16',
        VendorCidrs: '10.200.0.0/16',
        ResolverMaxChangesPerRun: String(names * (LINKS + 1) * 3 + 10),
        SweepSchedule: 'rate(1 day)',
      },
    });
    const world = new DrillWorld(sim, stack, root, topology);
    // More names than a template parameter holds: they are stored in the state table, as
    // `npm run resolver-names` stores them.
    await world.call('dynamodb:PutItem', {
      TableName: stack.physical.StateTable!.split('/').pop(),
      Item: {
        pk: { S: groupKey('vendor-vpn') },
        sk: { S: STORED_NAMES_KEY },
        trackedNames: { L: tracked.map((name) => ({ S: name })) },
      },
    });
    const first = await measureRun(sim, world);
    sim.dns.setLatency(DNS_LATENCY_MS);
    sim.faults.add({ service: 'route53resolver', latencyMs: RESOLVER_LATENCY_MS });
    const warm = await measureRun(sim, world);
    const noChange = await measureRun(sim, world);
    return {
      lines: [
        `${String(names).padStart(5)} setup: ${seeded} creates and associations in ${seedSeconds} s`,
        line(names, 'first run*', first),
        line(names, 'no change 1', warm),
        line(names, 'no change 2', noChange),
      ],
      noChange,
    };
  } finally {
    await sim.stop();
  }
}

export async function run(): Promise<string> {
  const lines = [
    `tracked names x ${LINKS} CNAME links (${LINKS + 1} rules per name) in 2 VPCs; no-change runs: DNS ${DNS_LATENCY_MS} ms, Resolver ${RESOLVER_LATENCY_MS} ms per call`,
    ' names run              wall | Resolver calls by API | DynamoDB calls | DNS queries | result | timeline after the start',
  ];
  const verdicts: string[] = [];
  for (const names of SIZES) {
    const measured = await measureSize(names);
    lines.push(...measured.lines);
    // Each size as it ends (on stderr): a later size that fails keeps the earlier figures.
    console.error(measured.lines.join('\n'));
    if (names === TARGET_NAMES) {
      const ms = measured.noChange.wallMs;
      verdicts.push(
        `no-change target at ${TARGET_NAMES} names, ${TARGET_NO_CHANGE_MS / 1000} s: ${ms <= TARGET_NO_CHANGE_MS ? 'within' : 'OVER'} (${(ms / 1000).toFixed(2)} s)`,
      );
    }
  }
  lines.push('* first run: finds the rules made at setup and stores the history, without added latency', ...verdicts);
  return lines.join('\n');
}
