import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  paginateDescribeRouteTables,
} from '@aws-sdk/client-ec2';
import type { RequestContext } from '../sim/core/service.js';
import { type SimAccount, startSim } from '../sim/index.js';
import type { Ec2Service } from '../sim/services/ec2/index.js';

/**
 * DescribeRouteTables against the simulated account, through the AWS SDK: the call the route
 * reconciler makes most. Target: under 2 ms median for a one-table response with no injected latency.
 */

const ROUTE_TABLES = 1_000;
const ROUTES_PER_TABLE = 3;
const WARM_UP_CALLS = 300;
const MEASURED_CALLS = 2_000;
const PAGE_SIZE = 100;
const TARGET_MEDIAN_MS = 2;

export interface RouteTableBenchResult {
  seedMs: number;
  calls: number;
  callsPerSecond: number;
  medianMs: number;
  p95Ms: number;
  p99Ms: number;
  pageThroughMs: number;
  pages: number;
  tablesPaged: number;
}

/** The value below which a fraction q of the sorted samples fall (nearest rank). */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Seeds the tables through the EC2 service's own actions (no HTTP), so seeding stays quick while
 * the tables are exactly what CreateRouteTable and CreateRoute would have made.
 */
async function seedRouteTables(sim: SimAccount, ec2: EC2Client): Promise<string[]> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const igw = await ec2.send(new CreateInternetGatewayCommand({}));
  const gatewayId = igw.InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpcId }));

  const service = sim.service<Ec2Service>('ec2');
  const ctx: RequestContext = {
    requestId: randomUUID(),
    region: 'eu-west-2',
    accountId: '123456789012',
    clock: sim.clock,
  };
  const ids: string[] = [];
  for (let i = 0; i < ROUTE_TABLES; i++) {
    const created = (await service.actions.CreateRouteTable!({ VpcId: vpcId }, ctx)) as {
      routeTable: { routeTableId: string };
    };
    const routeTableId = created.routeTable.routeTableId;
    for (let r = 0; r < ROUTES_PER_TABLE; r++) {
      await service.actions.CreateRoute!(
        { RouteTableId: routeTableId, DestinationCidrBlock: `172.${16 + r}.${i % 256}.0/24`, GatewayId: gatewayId },
        ctx,
      );
    }
    ids.push(routeTableId);
  }
  return ids;
}

export async function measure(): Promise<RouteTableBenchResult> {
  const sim = await startSim();
  const ec2 = new EC2Client({
    endpoint: sim.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'AKIDSIMULATED', secretAccessKey: 'simulated-secret' },
    maxAttempts: 1,
  });
  try {
    const seedStarted = performance.now();
    const ids = await seedRouteTables(sim, ec2);
    const seedMs = performance.now() - seedStarted;

    const describeOne = async (i: number) => {
      const id = ids[i % ids.length]!;
      const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }));
      if (RouteTables?.[0]?.Routes?.length !== ROUTES_PER_TABLE + 1) throw new Error(`unexpected response for ${id}`);
    };
    for (let i = 0; i < WARM_UP_CALLS; i++) await describeOne(i);

    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < MEASURED_CALLS; i++) {
      const t0 = performance.now();
      await describeOne(i * 7);
      samples.push(performance.now() - t0);
    }
    const elapsedMs = performance.now() - started;
    samples.sort((a, b) => a - b);

    const pageStarted = performance.now();
    let pages = 0;
    let tablesPaged = 0;
    for await (const page of paginateDescribeRouteTables({ client: ec2, pageSize: PAGE_SIZE }, {})) {
      pages++;
      tablesPaged += page.RouteTables?.length ?? 0;
    }
    const pageThroughMs = performance.now() - pageStarted;

    return {
      seedMs,
      calls: MEASURED_CALLS,
      callsPerSecond: MEASURED_CALLS / (elapsedMs / 1000),
      medianMs: quantile(samples, 0.5),
      p95Ms: quantile(samples, 0.95),
      p99Ms: quantile(samples, 0.99),
      pageThroughMs,
      pages,
      tablesPaged,
    };
  } finally {
    ec2.destroy();
    await sim.stop();
  }
}

export function render(result: RouteTableBenchResult): string {
  const rows: [string, string][] = [
    [
      `seed ${ROUTE_TABLES} route tables x ${ROUTES_PER_TABLE + 1} routes (in-process)`,
      `${result.seedMs.toFixed(0)} ms`,
    ],
    [`DescribeRouteTables, 1 id, ${result.calls} sequential calls`, `${result.callsPerSecond.toFixed(0)} calls/s`],
    ['  median per call', `${result.medianMs.toFixed(3)} ms`],
    ['  p95 per call', `${result.p95Ms.toFixed(3)} ms`],
    ['  p99 per call', `${result.p99Ms.toFixed(3)} ms`],
    [
      `page through all, MaxResults ${PAGE_SIZE}`,
      `${result.pageThroughMs.toFixed(1)} ms (${result.pages} pages, ${result.tablesPaged} tables with the main one)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const verdict =
    result.medianMs < TARGET_MEDIAN_MS
      ? `target met: median ${result.medianMs.toFixed(3)} ms < ${TARGET_MEDIAN_MS} ms`
      : `TARGET MISSED: median ${result.medianMs.toFixed(3)} ms >= ${TARGET_MEDIAN_MS} ms`;
  return [
    'sim: DescribeRouteTables through the AWS SDK (no injected latency)',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    `  ${verdict}`,
  ].join('\n');
}

export async function run(): Promise<string> {
  return render(await measure());
}
