import { describe, expect, it } from 'vitest';
import type { DecisionRequest, RouteConfig, RouteObservation } from '../../functions/core/routes/index.js';
import { assessHealth, chooseActiveGateway, InvalidInputError } from '../../functions/core/routes/index.js';
import { at, gateway, groupRecord, NOW, observe, testConfig, upReport } from './routes-fixtures.js';

function decide(observation: RouteObservation, config: RouteConfig = testConfig(), request: DecisionRequest = {}) {
  return chooseActiveGateway(observation, assessHealth(observation, config), config, request);
}

const tunnelsDown = (name: string) => upReport(name, { tunnels: [{ name: 't1', status: 'down' }] });
const partlyUp = (name: string) =>
  upReport(name, {
    tunnels: [
      { name: 't1', status: 'up' },
      { name: 't2', status: 'down' },
    ],
  });
const primary = gateway('a', { priority: 1 });
const standby = gateway('b', { priority: 2 });

describe('chooseActiveGateway (automatic)', () => {
  it('keeps the current active while it is healthy, even when a preferred member is healthier', () => {
    // Prepare
    const partial = upReport('b', { bgp: 'unknown' });
    const observation = observe([primary, standby], {
      agentReports: [upReport('a'), partial],
      record: groupRecord({ activeInstanceId: 'i-b' }),
    });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'unchanged', activeBefore: 'i-b', activeAfter: 'i-b' });
  });

  it('elects the healthiest member when there is no active gateway', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [upReport('a', { bgp: 'unknown' }), upReport('b')],
    });

    // Act
    const { decision, nextRecord } = decide(observation);

    // Assess
    expect(decision).toMatchObject({
      outcome: 'switched',
      activeBefore: null,
      activeAfter: 'i-b',
      switchKind: 'election',
    });
    // A first election moves no traffic off another gateway: no cooldown starts.
    expect(nextRecord).toMatchObject({ activeInstanceId: 'i-b', lastSwitchAt: null });
  });

  it('switches at once from a dead active gateway, even within the cooldown', () => {
    // Prepare
    const observation = observe([gateway('a', { priority: 1, state: 'terminated' }), standby], {
      record: groupRecord({ activeInstanceId: 'i-a', lastSwitchAt: at(-10) }),
    });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({
      outcome: 'switched',
      activeBefore: 'i-a',
      activeAfter: 'i-b',
      switchKind: 'failover',
    });
    expect(decision.reason).toContain('dead');
  });

  it('switches from an active gateway that left the group', () => {
    // Prepare
    const observation = observe([standby], { record: groupRecord({ activeInstanceId: 'i-gone' }) });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', activeAfter: 'i-b' });
  });

  it('asks for confirmation on the first observation of a soft failure and records it', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

    // Act
    const { decision, nextRecord } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'confirm', activeBefore: 'i-a', activeAfter: 'i-a' });
    expect(nextRecord.pendingSoftFailure).toEqual({ instanceId: 'i-a', firstSeenAt: NOW });
  });

  it('switches on the confirming observation when the soft failure persists', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a', pendingSoftFailure: { instanceId: 'i-a', firstSeenAt: at(-60) } }),
    });

    // Act
    const { decision, nextRecord } = decide(observation, testConfig(), { confirming: true });

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', activeAfter: 'i-b' });
    expect(nextRecord).toMatchObject({ activeInstanceId: 'i-b', lastSwitchAt: NOW, pendingSoftFailure: null });
  });

  it('changes nothing on the confirming observation when the active gateway recovered', () => {
    // Prepare
    const observation = observe([primary, standby], {
      record: groupRecord({ activeInstanceId: 'i-a', pendingSoftFailure: { instanceId: 'i-a', firstSeenAt: at(-60) } }),
    });

    // Act
    const { decision, nextRecord } = decide(observation, testConfig(), { confirming: true });

    // Assess
    expect(decision).toMatchObject({ outcome: 'unchanged', activeAfter: 'i-a', reason: 'active i-a recovered' });
    expect(nextRecord.pendingSoftFailure).toBeNull();
  });

  it('waits only the corroborated window when the active reports its failure and the standby reports everything up', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'confirm', confirmAfterSeconds: 4 });
    expect(decision.reason).toContain('observe again in 4 s');
  });

  it.each([
    ['the standby is only partly up', [tunnelsDown('a'), partlyUp('b')]],
    ["the active's report is stale, not a report of failure", [upReport('a', { receivedAt: at(-200) }), upReport('b')]],
    ['the active has no report', [upReport('b')]],
  ])('waits the full confirmation delay when the signals do not agree: %s', (_, agentReports) => {
    // Prepare
    const observation = observe([primary, standby], { agentReports, record: groupRecord({ activeInstanceId: 'i-a' }) });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'confirm', confirmAfterSeconds: 60 });
  });

  it('switches on a later observation once a corroborated failure has lasted the corroborated window', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a', pendingSoftFailure: { instanceId: 'i-a', firstSeenAt: at(-4) } }),
    });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', activeAfter: 'i-b', switchKind: 'failover' });
  });

  it('keeps waiting on a later unconfirmed observation before the confirmation delay has passed', () => {
    // Prepare: the standby is only partly up, so the full delay applies.
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), partlyUp('b')],
      record: groupRecord({ activeInstanceId: 'i-a', pendingSoftFailure: { instanceId: 'i-a', firstSeenAt: at(-20) } }),
    });

    // Act
    const { decision, nextRecord } = decide(observation);

    // Assess
    expect(decision.outcome).toBe('confirm');
    expect(nextRecord.pendingSoftFailure).toEqual({ instanceId: 'i-a', firstSeenAt: at(-20) });
  });

  it('switches on any observation once a recorded soft failure is older than the confirmation delay', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a', pendingSoftFailure: { instanceId: 'i-a', firstSeenAt: at(-61) } }),
    });

    // Act
    const { decision } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', activeAfter: 'i-b' });
  });

  it('refuses a confirmed soft-failure switch within the cooldown', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a', lastSwitchAt: at(-299) }),
    });

    // Act
    const { decision, nextRecord } = decide(observation, testConfig(), { confirming: true });

    // Assess
    expect(decision).toMatchObject({ outcome: 'cooldown', activeAfter: 'i-a' });
    expect(nextRecord).toMatchObject({ activeInstanceId: 'i-a', lastSwitchAt: at(-299) });
  });

  it('changes nothing and says so when no member is healthy', () => {
    // Prepare
    const observation = observe([gateway('a', { state: 'stopped' }), standby], {
      agentReports: [tunnelsDown('b')],
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

    // Act
    const { decision, nextRecord } = decide(observation);

    // Assess
    expect(decision).toMatchObject({ outcome: 'no-healthy-member', activeBefore: 'i-a', activeAfter: 'i-a' });
    expect(decision.reason).toBe(
      'no healthy member in group vendor-vpn: i-a (instance is stopped, no agent report); i-b (all tunnels down)',
    );
    expect(nextRecord).toEqual(observation.record);
  });

  it('rejects an observation of another group', () => {
    // Prepare
    const observation = observe([primary], { group: 'other' });

    // Act
    const act = () => decide(observation);

    // Assess
    expect(act).toThrow(InvalidInputError);
  });
});

describe('chooseActiveGateway (failback)', () => {
  const automatic = testConfig({ failback: { mode: 'automatic', stableSeconds: 600 } });

  it('starts tracking how long the preferred member has been healthy', () => {
    // Prepare
    const observation = observe([primary, standby], { record: groupRecord({ activeInstanceId: 'i-b' }) });

    // Act
    const { decision, nextRecord } = decide(observation, automatic);

    // Assess
    expect(decision).toMatchObject({ outcome: 'unchanged', reason: 'active i-b is healthy; failback to i-a in 600 s' });
    expect(nextRecord.preferredHealthySince).toEqual({ instanceId: 'i-a', since: NOW });
  });

  it('fails back automatically once the preferred member has been healthy for failbackStableSeconds', () => {
    // Prepare
    const observation = observe([primary, standby], {
      record: groupRecord({ activeInstanceId: 'i-b', preferredHealthySince: { instanceId: 'i-a', since: at(-600) } }),
    });

    // Act
    const { decision } = decide(observation, automatic);

    // Assess
    expect(decision).toMatchObject({
      outcome: 'switched',
      activeBefore: 'i-b',
      activeAfter: 'i-a',
      switchKind: 'failback',
    });
  });

  it('never fails back automatically in manual mode', () => {
    // Prepare
    const observation = observe([primary, standby], {
      record: groupRecord({ activeInstanceId: 'i-b', preferredHealthySince: { instanceId: 'i-a', since: at(-6000) } }),
    });

    // Act
    const { decision } = decide(observation, testConfig({ failback: { mode: 'manual', stableSeconds: 600 } }));

    // Assess
    expect(decision).toMatchObject({ outcome: 'unchanged', activeAfter: 'i-b' });
  });

  it('postpones an automatic failback within the cooldown', () => {
    // Prepare
    const observation = observe([primary, standby], {
      record: groupRecord({
        activeInstanceId: 'i-b',
        lastSwitchAt: at(-100),
        preferredHealthySince: { instanceId: 'i-a', since: at(-600) },
      }),
    });

    // Act
    const { decision } = decide(observation, automatic);

    // Assess
    expect(decision).toMatchObject({ outcome: 'cooldown', activeAfter: 'i-b' });
  });

  it('forgets when the preferred member was healthy once it is not', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-b', preferredHealthySince: { instanceId: 'i-a', since: at(-60) } }),
    });

    // Act
    const { nextRecord } = decide(observation, automatic);

    // Assess
    expect(nextRecord.preferredHealthySince).toBeNull();
  });
});

describe('chooseActiveGateway (operator)', () => {
  const inCooldown = groupRecord({ activeInstanceId: 'i-a', lastSwitchAt: at(-5) });

  it('fails over to the named healthy member, bypassing the cooldown', () => {
    // Prepare
    const observation = observe([primary, standby], { record: inCooldown });

    // Act
    const { decision } = decide(observation, testConfig(), {
      operation: { kind: 'failover', targetInstanceId: 'i-b' },
    });

    // Assess
    expect(decision).toMatchObject({
      outcome: 'switched',
      trigger: 'failover',
      activeAfter: 'i-b',
      switchKind: 'failover',
    });
  });

  it('fails over to the next healthy member when none is named', () => {
    // Prepare
    const observation = observe([primary, standby, gateway('c', { priority: 3 })], { record: inCooldown });

    // Act
    const { decision } = decide(observation, testConfig(), { operation: { kind: 'failover' } });

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', activeAfter: 'i-b' });
  });

  it('refuses a failover to a member that is not healthy', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [upReport('a'), tunnelsDown('b')],
      record: inCooldown,
    });

    // Act
    const { decision } = decide(observation, testConfig(), {
      operation: { kind: 'failover', targetInstanceId: 'i-b' },
    });

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', activeAfter: 'i-a' });
    expect(decision.reason).toBe('failover: i-b (all tunnels down) is not healthy');
  });

  it('refuses a failover to an instance that is not in the group', () => {
    // Prepare
    const observation = observe([primary, standby], { record: inCooldown });

    // Act
    const { decision } = decide(observation, testConfig(), {
      operation: { kind: 'failover', targetInstanceId: 'i-x' },
    });

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', reason: 'failover: i-x is not a member of group vendor-vpn' });
  });

  it('fails back to the preferred member on request, even in manual failback mode and within the cooldown', () => {
    // Prepare
    const observation = observe([primary, standby], {
      record: groupRecord({ activeInstanceId: 'i-b', lastSwitchAt: at(-5) }),
    });

    // Act
    const { decision } = decide(observation, testConfig(), { operation: { kind: 'failback' } });

    // Assess
    expect(decision).toMatchObject({
      outcome: 'switched',
      trigger: 'failback',
      activeAfter: 'i-a',
      switchKind: 'failback',
    });
  });

  it('refuses a failback when the preferred member is not healthy', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-b' }),
    });

    // Act
    const { decision } = decide(observation, testConfig(), { operation: { kind: 'failback' } });

    // Assess
    expect(decision).toMatchObject({ outcome: 'refused', activeAfter: 'i-b' });
  });

  it('repairs without switching away from a soft-failed active gateway', () => {
    // Prepare
    const observation = observe([primary, standby], {
      agentReports: [tunnelsDown('a'), upReport('b')],
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

    // Act
    const { decision } = decide(observation, testConfig(), { operation: { kind: 'repair' } });

    // Assess
    expect(decision).toMatchObject({ outcome: 'unchanged', trigger: 'repair', activeAfter: 'i-a' });
  });

  it('repairs onto the healthiest member when the active gateway is dead', () => {
    // Prepare
    const observation = observe([gateway('a', { state: 'terminated' }), standby], {
      record: groupRecord({ activeInstanceId: 'i-a' }),
    });

    // Act
    const { decision } = decide(observation, testConfig(), { operation: { kind: 'repair' } });

    // Assess
    expect(decision).toMatchObject({ outcome: 'switched', trigger: 'repair', activeAfter: 'i-b' });
  });
});
