import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  DEFAULT_GRACE_PERIOD_SECONDS,
  DEFAULT_MAX_CHANGES_PER_RUN,
  parseResolverConfig,
  RESOLVER_ENV,
  ruleName,
  STORED_NAMES_SOURCE,
  withStoredNames,
} from '../../functions/core/resolver-rules/index.js';

const VALID_ENV = {
  GROUP_NAME: 'prod',
  RESOLVER_STATIC_DOMAINS: 'App.Vendor.Example.',
  RESOLVER_TRACKED_NAMES: 'db.x.eu-west-2.rds.amazonaws.com, db2.x.eu-west-2.rds.amazonaws.com',
  RESOLVER_TARGET_IPS: '10.0.0.2,10.0.0.3:5353,[FD00:0:0::2]:53,[fd00::3]',
  RESOLVER_OUTBOUND_ENDPOINT_ID: 'rslvr-out-0123456789abcdef0',
  RESOLVER_VPC_IDS: 'vpc-0a1b2c3d,vpc-0123456789abcdef0',
  RESOLVER_GRACE_PERIOD_SECONDS: '3600',
  RESOLVER_MAX_CHANGES: '10',
};

function thrown(env: Record<string, string | undefined>): unknown {
  try {
    parseResolverConfig(env);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseResolverConfig', () => {
  it('reads and normalises a valid configuration', () => {
    // Prepare
    const env = VALID_ENV;

    // Act
    const config = parseResolverConfig(env);

    // Assess
    expect(config).toEqual({
      groupName: 'prod',
      staticDomains: ['app.vendor.example'],
      trackedNames: ['db.x.eu-west-2.rds.amazonaws.com', 'db2.x.eu-west-2.rds.amazonaws.com'],
      targetIps: [
        { ip: '10.0.0.2', port: 53 },
        { ip: '10.0.0.3', port: 5353 },
        { ip: 'fd00::2', port: 53 },
        { ip: 'fd00::3', port: 53 },
      ],
      outboundEndpointId: 'rslvr-out-0123456789abcdef0',
      vpcIds: ['vpc-0a1b2c3d', 'vpc-0123456789abcdef0'],
      gracePeriodSeconds: 3600,
      maxChangesPerRun: 10,
    });
  });

  it('uses the defaults for the grace period and the change limit, and allows an empty static list', () => {
    // Prepare
    const env = {
      ...VALID_ENV,
      RESOLVER_STATIC_DOMAINS: '',
      RESOLVER_GRACE_PERIOD_SECONDS: undefined,
      RESOLVER_MAX_CHANGES: ' ',
    };

    // Act
    const config = parseResolverConfig(env);

    // Assess
    expect(config.staticDomains).toEqual([]);
    expect(config.gracePeriodSeconds).toBe(DEFAULT_GRACE_PERIOD_SECONDS);
    expect(config.maxChangesPerRun).toBe(DEFAULT_MAX_CHANGES_PER_RUN);
  });

  it.each([
    { variable: RESOLVER_ENV.groupName, value: undefined },
    { variable: RESOLVER_ENV.groupName, value: 'prod group' },
    { variable: RESOLVER_ENV.staticDomains, value: 'app..vendor.example' },
    { variable: RESOLVER_ENV.staticDomains, value: 'app.vendor.example,APP.vendor.example.' },
    { variable: RESOLVER_ENV.trackedNames, value: `${'a'.repeat(64)}.example` },
    { variable: RESOLVER_ENV.trackedNames, value: `${'abcdefghi.'.repeat(25)}example` },
    { variable: RESOLVER_ENV.trackedNames, value: 'db.-x.example' },
    { variable: RESOLVER_ENV.trackedNames, value: 'db.x*.example' },
    { variable: RESOLVER_ENV.targetIps, value: undefined },
    { variable: RESOLVER_ENV.targetIps, value: '10.0.0.256' },
    { variable: RESOLVER_ENV.targetIps, value: '10.0.0.2:0' },
    { variable: RESOLVER_ENV.targetIps, value: '10.0.0.2:65536' },
    { variable: RESOLVER_ENV.targetIps, value: 'fd00::2' },
    { variable: RESOLVER_ENV.targetIps, value: '[fd00::2::3]:53' },
    { variable: RESOLVER_ENV.targetIps, value: '10.0.0.2,10.0.0.2:53' },
    { variable: RESOLVER_ENV.outboundEndpointId, value: 'rslvr-in-0123456789abcdef0' },
    { variable: RESOLVER_ENV.vpcIds, value: '' },
    { variable: RESOLVER_ENV.vpcIds, value: 'vpc-xyz' },
    { variable: RESOLVER_ENV.gracePeriodSeconds, value: '-1' },
    { variable: RESOLVER_ENV.gracePeriodSeconds, value: '1.5' },
    { variable: RESOLVER_ENV.maxChangesPerRun, value: '0' },
  ])('rejects $variable = "$value" with an error naming it', ({ variable, value }) => {
    // Prepare
    const env = { ...VALID_ENV, [variable]: value };

    // Act
    const error = thrown(env);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).name).toBe('ConfigurationError');
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as ConfigurationError).message).toContain(variable);
  });

  it('requires at least one tracked name or static domain, from the environment or the state table', () => {
    // Prepare
    const env = { ...VALID_ENV, RESOLVER_STATIC_DOMAINS: ' , ', RESOLVER_TRACKED_NAMES: undefined };
    const config = parseResolverConfig(env);

    // Act
    let error: unknown;
    try {
      withStoredNames(config, undefined);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toContain(RESOLVER_ENV.trackedNames);
    expect((error as ConfigurationError).message).toContain(STORED_NAMES_SOURCE);
  });
});

describe('withStoredNames', () => {
  it('adds the stored names and domains to those of the environment, each once', () => {
    // Prepare
    const config = parseResolverConfig(VALID_ENV);

    // Act
    const merged = withStoredNames(config, {
      trackedNames: ['DB.x.eu-west-2.rds.amazonaws.com.', 'db3.x.eu-west-2.rds.amazonaws.com'],
      staticDomains: ['other.vendor.example'],
    });

    // Assess
    expect(merged.trackedNames).toEqual([
      'db.x.eu-west-2.rds.amazonaws.com',
      'db2.x.eu-west-2.rds.amazonaws.com',
      'db3.x.eu-west-2.rds.amazonaws.com',
    ]);
    expect(merged.staticDomains).toEqual(['app.vendor.example', 'other.vendor.example']);
  });

  it.each([
    [{ trackedNames: 'db.vendor.example' }, 'trackedNames', /not a list of domain names/],
    [{ staticDomains: ['ok.example', 'bad..example'] }, 'staticDomains', /./],
    [{ trackedNames: ['a.example', 'A.example.'] }, 'trackedNames', /listed twice/],
  ])('rejects stored %j, naming the list', (stored, field, message) => {
    // Prepare
    const config = parseResolverConfig(VALID_ENV);

    // Act
    let error: unknown;
    try {
      withStoredNames(config, stored);
    } catch (err) {
      error = err;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(`${STORED_NAMES_SOURCE}.${field}`);
    expect((error as ConfigurationError).message).toMatch(message);
  });
});

describe('ruleName', () => {
  it.each([
    { groupName: 'prod', domainName: 'app.vendor.example' },
    { groupName: 'a-very-long-stack-name-for-the-vendor-vpn', domainName: `${'abcdefghi.'.repeat(25)}example` },
    { groupName: '1234', domainName: '1234.5678' },
  ])('stays within Route 53 Resolver limits for $groupName / $domainName', ({ groupName, domainName }) => {
    // Prepare
    const other = `x${domainName}`;

    // Act
    const name = ruleName(groupName, domainName);

    // Assess
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[A-Za-z0-9_ -]+$/);
    expect(name).not.toMatch(/^[0-9]+$/);
    expect(ruleName(groupName, domainName)).toBe(name);
    expect(ruleName(groupName, other)).not.toBe(name);
  });
});
