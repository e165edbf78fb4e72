import { describe, expect, it } from 'vitest';
import { assessHealth, assessMember, healthyMembers } from '../../functions/core/routes/index.js';
import { at, gateway, observe, testConfig, upReport } from './routes-fixtures.js';

describe('assessMember', () => {
  it('judges a running member with all tunnels and BGP up as healthy with a full grade', () => {
    // Prepare
    const observation = observe([gateway('a')]);

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health).toEqual({ instanceId: 'i-a', verdict: 'healthy', grade: 'full', priority: null, reasons: [] });
  });

  it.each(['stopping', 'stopped', 'shutting-down', 'terminated'] as const)('judges a %s instance dead', (state) => {
    // Prepare
    const observation = observe([gateway('a', { state })]);

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('dead');
    expect(health.reasons).toContain(`instance is ${state}`);
  });

  it('judges a member whose primary ENI no longer exists dead', () => {
    // Prepare
    const observation = observe([gateway('a')], { networkInterfaces: {} });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('dead');
    expect(health.reasons).toEqual(['primary ENI eni-a does not exist']);
  });

  it('judges a member whose primary ENI is detached or attached elsewhere dead', () => {
    // Prepare
    const detached = observe([gateway('a')], { networkInterfaces: { 'eni-a': null } });
    const elsewhere = observe([gateway('a')], { networkInterfaces: { 'eni-a': 'i-z' } });

    // Act
    const verdicts = [detached, elsewhere].map((o) => assessMember(o.members[0]!, o, testConfig()).verdict);

    // Assess
    expect(verdicts).toEqual(['dead', 'dead']);
  });

  it('judges a member without a primary ENI dead', () => {
    // Prepare
    const observation = observe([gateway('a', { primaryNetworkInterfaceId: null })]);

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('dead');
  });

  it.each([
    ['system status check impaired', { systemStatus: 'impaired' }],
    ['instance status check impaired', { instanceStatus: 'impaired' }],
    ['instance is pending', { state: 'pending' }],
  ] as const)('judges a member soft-failed when %s', (reason, overrides) => {
    // Prepare
    const observation = observe([gateway('a', overrides)]);

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('soft-failed');
    expect(health.reasons).toEqual([reason]);
  });

  it.each([
    [
      'all tunnels down',
      upReport('a', {
        tunnels: [
          { name: 't1', status: 'down' },
          { name: 't2', status: 'down' },
        ],
      }),
    ],
    ['all tunnels down', upReport('a', { tunnels: [] })],
    ['BGP down', upReport('a', { bgp: 'down' })],
    ['agent report stale (200 s old)', upReport('a', { reportedAt: at(-200), receivedAt: at(-200) })],
  ])('judges a member soft-failed when the agent says %s', (reason, report) => {
    // Prepare
    const observation = observe([gateway('a')], { agentReports: [report] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('soft-failed');
    expect(health.reasons).toEqual([reason]);
  });

  it('judges a member without an agent report soft-failed when reports are required', () => {
    // Prepare
    const observation = observe([gateway('a')], { agentReports: [] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig({ requireAgentReports: true }));

    // Assess
    expect(health).toMatchObject({ verdict: 'soft-failed', reasons: ['no agent report'] });
  });

  it('judges a member on EC2 signals alone, ignoring a stale report, when reports are not required', () => {
    // Prepare
    const stale = upReport('a', { bgp: 'down', reportedAt: at(-1000), receivedAt: at(-1000) });
    const observation = observe([gateway('a')], { agentReports: [stale] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig({ requireAgentReports: false }));

    // Assess
    expect(health).toMatchObject({ verdict: 'healthy', grade: 'unreported' });
  });

  it('judges freshness by when the report was received: a gateway clock ahead keeps no report fresh for ever', () => {
    // Prepare: the gateway's clock runs a day ahead; the report was received 200 s ago.
    const report = upReport('a', { reportedAt: at(86_400), receivedAt: at(-200) });
    const observation = observe([gateway('a')], { agentReports: [report] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health).toMatchObject({ verdict: 'soft-failed', reasons: ['agent report stale (200 s old)'] });
  });

  it('judges freshness by when the report was received: a gateway clock behind does not age a new report', () => {
    // Prepare: the gateway's clock runs 170 s behind; the report was received 30 s ago.
    const report = upReport('a', { reportedAt: at(-200), receivedAt: at(-30) });
    const observation = observe([gateway('a')], { agentReports: [report] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health).toMatchObject({ verdict: 'healthy', grade: 'full' });
  });

  it('judges a member with some tunnels up healthy with a partial grade', () => {
    // Prepare
    const report = upReport('a', {
      tunnels: [
        { name: 't1', status: 'up' },
        { name: 't2', status: 'down' },
      ],
    });
    const observation = observe([gateway('a')], { agentReports: [report] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health).toMatchObject({ verdict: 'healthy', grade: 'partial' });
  });

  it('lists definitive and soft reasons together, the verdict being dead', () => {
    // Prepare
    const observation = observe([gateway('a', { state: 'stopped', systemStatus: 'impaired' })], { agentReports: [] });

    // Act
    const health = assessMember(observation.members[0]!, observation, testConfig());

    // Assess
    expect(health.verdict).toBe('dead');
    expect(health.reasons).toEqual(['instance is stopped', 'system status check impaired', 'no agent report']);
  });
});

describe('healthyMembers', () => {
  it('ranks full before partial before unreported, then by priority, then by instance id', () => {
    // Prepare
    const members = [
      gateway('unreported', { priority: 1 }),
      gateway('partial', { priority: 1 }),
      gateway('full-p5', { priority: 5 }),
      gateway('full-untagged'),
      gateway('full-p2b', { priority: 2 }),
      gateway('full-p2a', { priority: 2 }),
      gateway('dead', { priority: 0, state: 'terminated' }),
    ];
    const partial = upReport('partial', { bgp: 'unknown' });
    const reports = ['full-p5', 'full-untagged', 'full-p2b', 'full-p2a', 'dead'].map((name) => upReport(name));
    const observation = observe(members, { agentReports: [...reports, partial] });
    const config = testConfig({ requireAgentReports: false });

    // Act
    const ranked = healthyMembers(assessHealth(observation, config)).map((member) => member.instanceId);

    // Assess
    expect(ranked).toEqual(['i-full-p2a', 'i-full-p2b', 'i-full-p5', 'i-full-untagged', 'i-partial', 'i-unreported']);
  });
});
