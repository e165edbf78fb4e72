import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/errors.js';
import { parseProbeConfig, parseProbeEnvironment } from '../../functions/core/reachability/index.js';
import { parseResolverConfig, parseResolverEnvironment } from '../../functions/core/resolver-rules/index.js';
import { parseRouteConfig, parseRouteEnvironment } from '../../functions/core/routes/index.js';

const ROUTES = { GROUP_NAME: 'vendor-vpn', MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a', MANAGED_CIDRS: '10.10.0.0/16' };
const RESOLVER = {
  GROUP_NAME: 'vendor-vpn',
  RESOLVER_TRACKED_NAMES: 'db.vendor.example',
  RESOLVER_TARGET_IPS: '10.0.0.2',
  RESOLVER_OUTBOUND_ENDPOINT_ID: 'rslvr-out-0123456789abcdef0',
  RESOLVER_VPC_IDS: 'vpc-0a1b2c3d',
};
const PROBE = {
  GROUP_NAME: 'vendor-vpn',
  RESOLVER_TRACKED_NAMES: 'db.vendor.example',
  PROBE_PORTS: '1521',
  PROBE_VPC_CIDR: '10.0.0.0/16',
  MANAGED_CIDRS: '10.200.0.0/16',
};
const PARSERS = [
  ['routes', (env: Record<string, string | undefined>) => parseRouteConfig({ ...ROUTES, ...env })],
  ['resolver rules', (env: Record<string, string | undefined>) => parseResolverConfig({ ...RESOLVER, ...env })],
  ['reachability probe', (env: Record<string, string | undefined>) => parseProbeConfig({ ...PROBE, ...env })],
] as const;

function thrown(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('no ConfigurationError was thrown');
}

describe('one rule per variable', () => {
  it.each(PARSERS)('the %s reconciler applies the one GROUP_NAME rule', (_, parse) => {
    // Act
    const missing = thrown(() => parse({ GROUP_NAME: ' ' }));
    const spaced = thrown(() => parse({ GROUP_NAME: 'prod group' }));
    const long = thrown(() => parse({ GROUP_NAME: 'g'.repeat(129) }));

    // Assess
    expect(missing.message).toBe('GROUP_NAME: is required (template parameter GroupName)');
    expect(spaced.variable).toBe('GROUP_NAME');
    expect(spaced.message).toContain('"prod group" is not valid');
    expect(long.variable).toBe('GROUP_NAME');
    expect(() => parse({ GROUP_NAME: 'Vendor_vpn-2' })).not.toThrow();
  });

  it.each([
    ['routes', () => parseRouteConfig({ ...ROUTES, MANAGED_CIDRS: '10.200.0.1/16' })],
    ['reachability probe', () => parseProbeConfig({ ...PROBE, MANAGED_CIDRS: '10.200.0.1/16' })],
    ['routes', () => parseRouteConfig({ ...ROUTES, MANAGED_CIDRS: '0.0.0.0/0' })],
    ['reachability probe', () => parseProbeConfig({ ...PROBE, MANAGED_CIDRS: '0.0.0.0/0' })],
  ])('the %s reconciler reads MANAGED_CIDRS by the same rule', (_, run) => {
    // Act
    const error = thrown(run);

    // Assess
    expect(error.variable).toBe('MANAGED_CIDRS');
    expect(error.message).toContain('(template parameter VendorCidrs)');
  });

  it('reads the resolver tuning with the configuration, naming a bad variable and its parameter', () => {
    // Prepare
    const env = { ...RESOLVER, STATE_TABLE: 'state', RESOLVER_DNS_TIMEOUT_MS: '250', RESOLVER_DNS_TRIES: '3' };

    // Act
    const environment = parseResolverEnvironment(env);
    const error = thrown(() => parseResolverEnvironment({ ...env, RESOLVER_DNS_TRIES: '0' }));

    // Assess
    expect(environment.tuning).toEqual({
      dnsTimeoutMs: 250,
      dnsTries: 3,
      maxCnameDepth: 8,
      dnsConcurrency: 100,
      applyConcurrency: 5,
    });
    expect(environment).toMatchObject({ stateTable: 'state', notificationTargets: {} });
    expect(error.message).toBe(
      "RESOLVER_DNS_TRIES: '0' is not a whole number >= 1 (template parameter ResolverDnsTries)",
    );
  });

  it.each([
    ['routes', () => parseRouteEnvironment(ROUTES)],
    ['resolver rules', () => parseResolverEnvironment(RESOLVER)],
    ['reachability probe', () => parseProbeEnvironment(PROBE)],
  ])('the %s functions need STATE_TABLE, and read the topic when it is set', (_, run) => {
    // Act
    const error = thrown(run);

    // Assess
    expect(error.message).toBe('STATE_TABLE: is required');
  });

  it('takes the notification topic when one is set', () => {
    // Act
    const environment = parseRouteEnvironment({ ...ROUTES, STATE_TABLE: 't', NOTIFICATION_TOPIC_ARN: ' arn:topic ' });

    // Assess
    expect(environment).toMatchObject({ stateTable: 't', notificationTargets: { topicArn: 'arn:topic' } });
  });
});
