import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors.js';
import { parseProbeConfig } from '../../functions/core/reachability/index.js';

const VALID_ENV = {
  GROUP_NAME: 'vendor-vpn',
  RESOLVER_TRACKED_NAMES: 'db.x.eu-west-2.rds.amazonaws.com,DB2.x.eu-west-2.rds.amazonaws.com.',
  RESOLVER_STATIC_DOMAINS: 'app.vendor.example',
  PROBE_PORTS: '1521,1522,443',
  PROBE_VPC_CIDR: '10.0.0.0/16',
  MANAGED_CIDRS: '10.200.0.0/16',
  RESOLVER_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:123456789012:stateMachine:resolver',
};

function thrown(env: Record<string, string | undefined>): ConfigurationError {
  try {
    parseProbeConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('no ConfigurationError was thrown');
}

describe('parseProbeConfig', () => {
  it('pairs the tracked names, then the static domains, with their ports and finds the VPC resolver at base + 2', () => {
    // Act
    const config = parseProbeConfig(VALID_ENV);

    // Assess
    expect(config.targets).toEqual([
      { name: 'db.x.eu-west-2.rds.amazonaws.com', port: 1521 },
      { name: 'db2.x.eu-west-2.rds.amazonaws.com', port: 1522 },
      { name: 'app.vendor.example', port: 443 },
    ]);
    expect(config.resolverAddress).toBe('10.0.0.2');
    expect(config.resolverNames).toEqual([
      'db.x.eu-west-2.rds.amazonaws.com',
      'db2.x.eu-west-2.rds.amazonaws.com',
      'app.vendor.example',
    ]);
    expect(config.resolverStateMachineArn).toBe(VALID_ENV.RESOLVER_STATE_MACHINE_ARN);
    expect(config).toMatchObject({ dnsTimeoutMs: 1000, dnsTries: 2, tcpTimeoutMs: 2000 });
  });

  it('applies one port to every name, and probes the names given instead of the resolver ones', () => {
    // Act
    const config = parseProbeConfig({
      ...VALID_ENV,
      PROBE_NAMES: 'db.x.eu-west-2.rds.amazonaws.com,db3.vendor.example',
      PROBE_PORTS: '1521',
    });

    // Assess
    expect(config.targets).toEqual([
      { name: 'db.x.eu-west-2.rds.amazonaws.com', port: 1521 },
      { name: 'db3.vendor.example', port: 1521 },
    ]);
  });

  it('rejects a name without a port, naming the ports parameter and the name', () => {
    // Act
    const error = thrown({ ...VALID_ENV, PROBE_PORTS: '1521,1522' });

    // Assess
    expect(error.variable).toBe('PROBE_PORTS');
    expect(error.message).toContain('app.vendor.example has no port');
    expect(error.message).toContain('ProbePorts');
  });

  it('rejects a configuration with no port at all', () => {
    // Act
    const error = thrown({ ...VALID_ENV, PROBE_PORTS: '' });

    // Assess
    expect(error.variable).toBe('PROBE_PORTS');
    expect(error.message).toContain('every name needs a port');
  });

  it.each(['0', '65536', 'oracle', '15 21', '-1'])('rejects the invalid port %j, naming the parameter', (bad) => {
    // Act
    const error = thrown({ ...VALID_ENV, PROBE_PORTS: `1521,${bad},443` });

    // Assess
    expect(error.variable).toBe('PROBE_PORTS');
    expect(error.message).toContain(`entry 2 "${bad}" is not a TCP port`);
    expect(error.message).toContain('ProbePorts');
  });

  it('rejects a port list longer than the names, naming the parameter', () => {
    // Act
    const error = thrown({ ...VALID_ENV, PROBE_PORTS: '1521,1522,443,22' });

    // Assess
    expect(error.variable).toBe('PROBE_PORTS');
    expect(error.message).toContain('4 ports for 3 names');
    expect(error.message).toContain('ProbePorts');
  });

  it.each([
    [{ PROBE_VPC_CIDR: '' }, 'PROBE_VPC_CIDR', 'ProbeVpcCidr'],
    [{ PROBE_VPC_CIDR: '10.0.0.0/33' }, 'PROBE_VPC_CIDR', 'ProbeVpcCidr'],
    [{ MANAGED_CIDRS: '10.200.0.0' }, 'MANAGED_CIDRS', 'VendorCidrs'],
    [{ PROBE_NAMES: 'bad..name' }, 'PROBE_NAMES', 'ProbeNames'],
    [{ PROBE_TCP_TIMEOUT_MS: '0' }, 'PROBE_TCP_TIMEOUT_MS', 'ProbeTcpTimeoutMs'],
    [{ RESOLVER_TRACKED_NAMES: '', RESOLVER_STATIC_DOMAINS: '' }, 'RESOLVER_TRACKED_NAMES', 'ResolverTrackedNames'],
  ])('rejects %j naming %s', (override, variable, parameter) => {
    // Act
    const error = thrown({ ...VALID_ENV, ...override });

    // Assess
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(parameter);
  });
});
