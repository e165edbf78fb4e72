import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type SimAccount, startSim } from './index.js';
import { deployLocalStack, type LocalStack } from './local-stack.js';

export const usage = `usage: npm run sim -- [--port N] [--host ADDRESS] [--empty] [--manual-clock]

Starts the simulated AWS account on loopback, deploys template.yaml into it with a small demo
topology (a VPC, two gateways whose agents report every minute, two managed route tables, the
vendor's DNS zone), and prints the stack's outputs and commands to try. Ctrl-C stops it.

  --port N          port of the AWS endpoint (default 4566; 0 picks a free one)
  --host ADDRESS    127.0.0.1 (default), ::1 or localhost
  --empty           an empty account: no stack, no topology
  --manual-clock    simulated time moves only through POST /_sim/clock/advance (default: wall time)
  --help            this text`;

export interface SimCommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** The account `npm run sim` started, and how to stop it. */
export interface RunningSim {
  sim: SimAccount;
  local?: LocalStack;
  stop(): Promise<void>;
}

class SimUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimUsageError';
  }
}

function options(args: string[]) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    throw new SimUsageError(`${(err as Error).message.split('\n')[0]} (npm run sim -- --help lists the flags)`);
  }
  const { values } = parsed;
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new SimUsageError(`--port must be a port number (0 picks a free one), got ${values.port}`);
  }
  if (values.host !== '127.0.0.1' && values.host !== '::1' && values.host !== 'localhost') {
    throw new SimUsageError(`--host must be a loopback address (127.0.0.1, ::1 or localhost), got ${values.host}`);
  }
  return { ...values, port };
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      empty: { type: 'boolean', default: false },
      'manual-clock': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}

/**
 * `npm run sim -- ARGS`: starts the account (and the demo stack unless --empty) and prints how to reach
 * it. Answers an exit code instead when there is nothing to run (--help: 0) or it cannot start (2, with
 * one line on err naming why); the account is then stopped, or was never started.
 */
export async function startSimCommand(args: string[], output: SimCommandOutput): Promise<number | RunningSim> {
  let values: ReturnType<typeof options>;
  try {
    values = options(args);
  } catch (err) {
    output.err(`sim: ${(err as Error).message}`);
    return 2;
  }
  if (values.help) {
    output.out(usage);
    return 0;
  }

  let sim: SimAccount;
  try {
    sim = await startSim({ port: values.port, host: values.host });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const { port, host } = values;
    if (code === 'EADDRINUSE') {
      output.err(`sim: port ${port} on ${host} is in use (another npm run sim?); pick another with --port`);
    } else if (code === 'EACCES') {
      output.err(`sim: port ${port} on ${host} needs privileges; pick another with --port`);
    } else {
      output.err(`sim: could not start: ${(err as Error).message.split('\n')[0]}`);
    }
    return 2;
  }

  const { endpoint } = sim;
  const env = sim.env();
  output.out(`cgw-autopilot simulated account listening on ${endpoint}`);
  if (!values['manual-clock']) sim.clock.followWallTime();

  let local: LocalStack | undefined;
  if (!values.empty) {
    try {
      local = await deployLocalStack(sim, { root: resolve(import.meta.dirname, '..') });
    } catch (err) {
      output.err(`sim: deploying template.yaml failed: ${(err as Error).message.split('\n')[0]}`);
      await sim.stop().catch(() => undefined);
      return 2;
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
    `\nClock: ${values['manual-clock'] ? 'manual (POST /_sim/clock/advance {"ms": 60000})' : 'wall time'}. Control API: ${endpoint}/_sim/state, /_sim/requests, /_sim/faults, /_sim/clock, /_sim/agents, /_sim/dns/, /_sim/network/, /_sim/reset (README: The simulated account)`,
    'Ctrl-C stops it.',
  );
  output.out(lines.join('\n'));

  return {
    sim,
    local,
    stop: async () => {
      local?.stop();
      await sim.stop().catch(() => undefined);
    },
  };
}
