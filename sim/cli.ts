import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type SimAccount, startSim } from './index.js';
import { deployLocalStack, type LocalStack } from './local-stack.js';

const usage = `usage: npm run sim -- [--port N] [--host ADDRESS] [--empty] [--manual-clock]

Starts the simulated AWS account on loopback, deploys template.yaml into it with a small demo
topology (a VPC, two gateways whose agents report every minute, two managed route tables, the
vendor's DNS zone), and prints the stack's outputs and commands to try. Ctrl-C stops it.

  --port N          port of the AWS endpoint (default 4566; 0 picks a free one)
  --host ADDRESS    127.0.0.1 (default), ::1 or localhost
  --empty           an empty account: no stack, no topology
  --manual-clock    simulated time moves only through POST /_sim/clock/advance (default: wall time)
  --help            this text`;

function fail(message: string): never {
  console.error(`sim: ${message}`);
  process.exit(2);
}

let parsed: ReturnType<
  typeof parseArgs<{
    options: {
      port: { type: 'string'; default: string };
      host: { type: 'string'; default: string };
      empty: { type: 'boolean'; default: false };
      'manual-clock': { type: 'boolean'; default: false };
      help: { type: 'boolean'; default: false };
    };
  }>
>;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      empty: { type: 'boolean', default: false },
      'manual-clock': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
} catch (err) {
  fail(`${(err as Error).message.split('\n')[0]} (npm run sim -- --help lists the flags)`);
}
const { values } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535)
  fail(`--port must be a port number (0 picks a free one), got ${values.port}`);
if (values.host !== '127.0.0.1' && values.host !== '::1' && values.host !== 'localhost') {
  fail(`--host must be a loopback address (127.0.0.1, ::1 or localhost), got ${values.host}`);
}

let sim: SimAccount | undefined;
let local: LocalStack | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  local?.stop();
  await sim?.stop().catch(() => undefined);
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

try {
  sim = await startSim({ port, host: values.host });
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE')
    fail(`port ${port} on ${values.host} is in use (another npm run sim?); pick another with --port`);
  if (code === 'EACCES') fail(`port ${port} on ${values.host} needs privileges; pick another with --port`);
  fail(`could not start: ${(err as Error).message.split('\n')[0]}`);
}

const endpoint = sim.endpoint;
const env = sim.env();
console.log(`cgw-autopilot simulated account listening on ${endpoint}`);
if (!values['manual-clock']) sim.clock.followWallTime();

if (!values.empty) {
  const root = resolve(import.meta.dirname, '..');
  try {
    local = await deployLocalStack(sim, { root });
  } catch (err) {
    console.error(`sim: deploying template.yaml failed: ${(err as Error).message.split('\n')[0]}`);
    await stop(2);
  }
}

const lines: string[] = [];
if (local) {
  const { stack, world } = local;
  lines.push(`\nStack ${stack.stackName} deployed (CloudFormation DescribeStacks answers for it). Outputs:`);
  for (const [key, value] of Object.entries(stack.outputs)) lines.push(`  ${key.padEnd(22)} ${String(value)}`);
  lines.push(
    '\nDemo topology:',
    `  gateways   cgw-a ${world.names.instance['cgw-a']} (preferred), cgw-b ${world.names.instance['cgw-b']}; agents report every 60 s`,
    `  routes     private-a ${world.names.routeTable['private-a']}, private-b ${world.names.routeTable['private-b']}: 10.200.0.0/16 -> cgw-a`,
    `  vendor DNS ${sim.dns.servers().join(', ')} serves db.vendor.example (CNAME to the database host)`,
    '\nIn another terminal, from this folder:',
    `  npx cgw-autopilot --endpoint ${endpoint} status`,
    `  npx cgw-autopilot --endpoint ${endpoint} plan failover`,
    `  npx cgw-autopilot --endpoint ${endpoint} failover`,
    `  npx cgw-autopilot --endpoint ${endpoint} history`,
    `  curl -X POST ${endpoint}/_sim/agents -d '{"instance": "cgw-b", "tunnels": "down"}'   # an agent reports its tunnels down`,
    `  aws --endpoint-url ${endpoint} --region ${env.AWS_REGION} ec2 describe-route-tables`,
  );
}
lines.push(
  '\nFor the AWS CLI and SDKs (AWS CLI before 2.13 ignores AWS_ENDPOINT_URL: pass --endpoint-url too):',
  ...Object.entries(env).map(([key, value]) => `  export ${key}=${value}`),
  `\nClock: ${values['manual-clock'] ? 'manual (POST /_sim/clock/advance {"ms": 60000})' : 'wall time'}. Control API: ${endpoint}/_sim/state, /_sim/requests, /_sim/faults, /_sim/clock, /_sim/agents, /_sim/network, /_sim/reset (README: The simulated account)`,
  'Ctrl-C stops it.',
);
console.log(lines.join('\n'));
