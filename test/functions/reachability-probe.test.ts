import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ENV = {
  GROUP_NAME: 'vendor-vpn',
  STATE_TABLE: 'cgw-autopilot-StateTable',
  RESOLVER_TRACKED_NAMES: 'db.x.eu-west-2.rds.amazonaws.com,db2.x.eu-west-2.rds.amazonaws.com',
  RESOLVER_STATIC_DOMAINS: 'app.vendor.example',
  PROBE_VPC_CIDR: '10.0.0.0/16',
  MANAGED_CIDRS: '10.200.0.0/16',
};

describe('reachability probe handler configuration', () => {
  const dynamodb = mockClient(DynamoDBClient);

  beforeEach(() => {
    vi.resetModules();
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    dynamodb.reset();
  });

  it.each([
    ['a name without a port', '1521,1522', 'app.vendor.example has no port'],
    ['an invalid port', '1521,70000,443', 'entry 2 "70000" is not a TCP port'],
    ['a port list longer than the names', '1521,1522,443,22', '4 ports for 3 names'],
  ])(
    'fails its cold start on %s with a ConfigurationError naming ProbePorts, before any AWS call',
    async (_, ports, problem) => {
      // Prepare
      vi.stubEnv('PROBE_PORTS', ports);

      // Act
      const loading = import('../../functions/reachability-probe/index.js');

      // Assess
      await expect(loading).rejects.toMatchObject({ name: 'ConfigurationError', variable: 'PROBE_PORTS' });
      await expect(loading).rejects.toThrow(problem);
      await expect(loading).rejects.toThrow('ProbePorts');
      expect(dynamodb.calls()).toHaveLength(0);
    },
  );

  it('starts with a valid configuration and rejects an input that is not a probe request, naming it', async () => {
    // Prepare
    vi.stubEnv('PROBE_PORTS', '1521');
    const { handler } = await import('../../functions/reachability-probe/index.js');

    // Act
    const running = handler({ operation: 'failover' });

    // Assess
    await expect(running).rejects.toMatchObject({ name: 'InvalidInputError', field: '(input)' });
    expect(dynamodb.calls()).toHaveLength(0);
  });
});
