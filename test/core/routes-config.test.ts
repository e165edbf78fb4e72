import { describe, expect, it } from 'vitest';
import { ConfigurationError, checkIpv6Cidr, parseRouteConfig } from '../../functions/core/routes/index.js';

const minimal = { GROUP_NAME: 'vendor-vpn', MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a', MANAGED_CIDRS: '10.10.0.0/16' };

function errorOf(env: Record<string, string | undefined>): ConfigurationError | undefined {
  try {
    parseRouteConfig(env);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
}

describe('parseRouteConfig', () => {
  it('reads a minimal configuration with the documented defaults', () => {
    // Prepare
    const env = { ...minimal };

    // Act
    const config = parseRouteConfig(env);

    // Assess
    expect(config).toEqual({
      group: 'vendor-vpn',
      routeTableIds: ['rtb-0000000a'],
      manageTaggedRouteTables: false,
      destinations: [{ kind: 'ipv4-cidr', value: '10.10.0.0/16' }],
      requireAgentReports: true,
      agentStaleAfterSeconds: 180,
      confirmationDelaySeconds: 60,
      corroboratedConfirmationSeconds: 4,
      cooldownSeconds: 300,
      failback: { mode: 'manual', stableSeconds: 600 },
      maxChangesPerRun: 20,
      maxActionsPerExecution: 250,
      eip: { mode: 'off' },
      otherTargets: 'hold',
      primaryPath: null,
    });
  });

  it('reads every variable, trimming lists, dropping duplicates and canonicalising IPv6', () => {
    // Prepare
    const env = {
      GROUP_NAME: ' vendor-vpn ',
      MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a, rtb-0123456789abcdef0,rtb-0000000a',
      MANAGE_TAGGED_ROUTE_TABLES: 'TRUE',
      MANAGED_CIDRS: '10.10.0.0/16,10.20.0.0/16, 10.10.0.0/16',
      MANAGED_IPV6_CIDRS: '2001:0DB8:0000::/48',
      MANAGED_PREFIX_LIST_IDS: 'pl-0000000a',
      REQUIRE_AGENT_REPORTS: 'false',
      AGENT_STALE_AFTER_SECONDS: '90',
      CONFIRMATION_DELAY_SECONDS: '0',
      COOLDOWN_SECONDS: '120',
      FAILBACK_MODE: 'automatic',
      FAILBACK_STABLE_SECONDS: '900',
      MAX_CHANGES_PER_RUN: '5',
      EIP_ALLOCATION_ID: 'eipalloc-0000000a',
      OTHER_TARGET_ROUTES: 'Replace',
      PRIMARY_PATH_TARGET: 'vgw-0000000a',
    };

    // Act
    const config = parseRouteConfig(env);

    // Assess
    expect(config).toEqual({
      group: 'vendor-vpn',
      routeTableIds: ['rtb-0000000a', 'rtb-0123456789abcdef0'],
      manageTaggedRouteTables: true,
      destinations: [
        { kind: 'ipv4-cidr', value: '10.10.0.0/16' },
        { kind: 'ipv4-cidr', value: '10.20.0.0/16' },
        { kind: 'ipv6-cidr', value: '2001:db8::/48' },
        { kind: 'prefix-list', value: 'pl-0000000a' },
      ],
      requireAgentReports: false,
      agentStaleAfterSeconds: 90,
      confirmationDelaySeconds: 0,
      corroboratedConfirmationSeconds: 0,
      cooldownSeconds: 120,
      failback: { mode: 'automatic', stableSeconds: 900 },
      maxChangesPerRun: 5,
      maxActionsPerExecution: 250,
      eip: { mode: 'keep-on-active', allocationId: 'eipalloc-0000000a' },
      otherTargets: 'replace',
      primaryPath: { kind: 'vpn-gateway', id: 'vgw-0000000a' },
    });
  });

  it('accepts tagged route tables instead of an explicit list', () => {
    // Prepare
    const env = { GROUP_NAME: 'g', MANAGE_TAGGED_ROUTE_TABLES: 'true', MANAGED_PREFIX_LIST_IDS: 'pl-0000000a' };

    // Act
    const config = parseRouteConfig(env);

    // Assess
    expect(config).toMatchObject({ routeTableIds: [], manageTaggedRouteTables: true });
  });

  it.each([
    [{ GROUP_NAME: '' }, 'GROUP_NAME: is required'],
    [{ MANAGED_ROUTE_TABLE_IDS: 'rtb-xyz' }, "MANAGED_ROUTE_TABLE_IDS: 'rtb-xyz' is not a rtb- id"],
    [{ MANAGED_ROUTE_TABLE_IDS: '' }, 'MANAGED_ROUTE_TABLE_IDS: no managed route table'],
    [{ MANAGE_TAGGED_ROUTE_TABLES: 'yes' }, "MANAGE_TAGGED_ROUTE_TABLES: 'yes' is not true or false"],
    [{ MANAGED_CIDRS: '10.0.0.0/33' }, "MANAGED_CIDRS: '10.0.0.0/33' is not an IPv4 CIDR"],
    [{ MANAGED_CIDRS: '10.0.0.256/32' }, "MANAGED_CIDRS: '10.0.0.256/32' is not an IPv4 CIDR"],
    [{ MANAGED_CIDRS: '010.0.0.0/8' }, "MANAGED_CIDRS: '010.0.0.0/8' is not an IPv4 CIDR"],
    [{ MANAGED_CIDRS: '10.0.0.0' }, "MANAGED_CIDRS: '10.0.0.0' is not an IPv4 CIDR"],
    [{ MANAGED_CIDRS: '10.0.0.1/16' }, "MANAGED_CIDRS: '10.0.0.1/16' is not an IPv4 CIDR (host bits set beyond /16)"],
    [{ MANAGED_CIDRS: '' }, 'MANAGED_CIDRS: no managed destination'],
    [{ MANAGED_IPV6_CIDRS: '2001:db8::/129' }, "MANAGED_IPV6_CIDRS: '2001:db8::/129' is not an IPv6 CIDR"],
    [{ MANAGED_IPV6_CIDRS: '2001:db8::1::/64' }, "MANAGED_IPV6_CIDRS: '2001:db8::1::/64' is not an IPv6 CIDR"],
    [{ MANAGED_IPV6_CIDRS: '10.0.0.0/8' }, "MANAGED_IPV6_CIDRS: '10.0.0.0/8' is not an IPv6 CIDR"],
    [{ MANAGED_IPV6_CIDRS: '2001:db8::1/64' }, 'is not an IPv6 CIDR (host bits set beyond /64)'],
    [{ MANAGED_PREFIX_LIST_IDS: 'pl-12' }, "MANAGED_PREFIX_LIST_IDS: 'pl-12' is not a pl- id"],
    [{ AGENT_STALE_AFTER_SECONDS: '0' }, "AGENT_STALE_AFTER_SECONDS: '0' is not a whole number >= 1"],
    [{ CONFIRMATION_DELAY_SECONDS: '-1' }, 'CONFIRMATION_DELAY_SECONDS'],
    [{ CORROBORATED_CONFIRMATION_SECONDS: '61' }, 'CORROBORATED_CONFIRMATION_SECONDS'],
    [{ CORROBORATED_CONFIRMATION_SECONDS: 'soon' }, 'CORROBORATED_CONFIRMATION_SECONDS'],
    [{ COOLDOWN_SECONDS: '1.5' }, "COOLDOWN_SECONDS: '1.5' is not a whole number >= 0"],
    [{ FAILBACK_MODE: 'sometimes' }, "FAILBACK_MODE: 'sometimes' is not automatic or manual"],
    [{ FAILBACK_STABLE_SECONDS: 'ten' }, 'FAILBACK_STABLE_SECONDS'],
    [{ MAX_CHANGES_PER_RUN: '0' }, "MAX_CHANGES_PER_RUN: '0' is not a whole number >= 1"],
    [{ EIP_ALLOCATION_ID: 'eip-123' }, "EIP_ALLOCATION_ID: 'eip-123' is not an eipalloc- id"],
  ])('rejects %o naming the variable', (override, message) => {
    // Prepare
    const env = { ...minimal, ...override };

    // Act
    const error = errorOf(env);

    // Assess
    expect(error?.name).toBe('ConfigurationError');
    expect(error?.variable).toBe(Object.keys(override)[0]);
    expect(error?.message).toContain(message);
  });
});

describe('checkIpv6Cidr', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:0/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['fd00:0:0:1::/64', 'fd00:0:0:1::/64'],
    ['2001:db8:0:0:1:0:0:0/80', '2001:db8:0:0:1::/80'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['0:0:0:0:0:0:0:1/128', '::1/128'],
  ])('canonicalises %s to %s (longest zero run, first on a tie)', (input, canonical) => {
    // Prepare
    const text = input;

    // Act
    const check = checkIpv6Cidr(text);

    // Assess
    expect(check).toEqual({ cidr: canonical });
  });
});
