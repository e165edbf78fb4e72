import { describe, expect, it } from 'vitest';
import { executionName, reportChange, sweepChange, sweepExecutionName } from '../../functions/core/admission.js';
import type { IncomingAgentReport, StoredAgentReport } from '../../functions/core/routes/agent-report.js';
import type { RoutePlan } from '../../functions/core/routes/types.js';
import { groupRecord } from './routes-fixtures.js';

const incoming = (over: Partial<IncomingAgentReport> = {}): IncomingAgentReport => ({
  instanceId: 'i-0000000a',
  tunnels: [
    { name: 'tunnel1', status: 'up' },
    { name: 'tunnel2', status: 'up' },
  ],
  bgp: 'up',
  reportedAt: '2026-01-05T09:01:00Z',
  bootId: 'boot-1',
  sequence: 2,
  ...over,
});
const stored = (over: Partial<StoredAgentReport> = {}): StoredAgentReport => ({
  ...incoming({ sequence: 1, reportedAt: '2026-01-05T09:00:00Z' }),
  receivedAt: '2026-01-05T09:00:00Z',
  retiredBoots: [],
  ...over,
});
const at = '2026-01-05T09:01:00Z';

describe('reportChange', () => {
  it('finds nothing in a heartbeat that repeats a fresh report', () => {
    expect(reportChange(stored(), incoming(), at, 180)).toBeNull();
  });

  it('ignores the order the agent lists its tunnels in', () => {
    const reversed = incoming({ tunnels: [...incoming().tunnels].reverse() });
    expect(reportChange(stored(), reversed, at, 180)).toBeNull();
  });

  it.each([
    ['a first report', null, incoming(), 'first report of i-0000000a'],
    ['a new boot', stored(), incoming({ bootId: 'boot-2', sequence: 1 }), 'booted again'],
    [
      'a tunnel going down',
      stored(),
      incoming({
        tunnels: [
          { name: 'tunnel1', status: 'down' },
          { name: 'tunnel2', status: 'up' },
        ],
      }),
      'tunnels tunnel1 up, tunnel2 up -> tunnel1 down, tunnel2 up',
    ],
    ['BGP going down', stored(), incoming({ bgp: 'down' }), 'BGP up -> down'],
  ] as const)('finds a change in %s', (_what, previous, report, words) => {
    expect(reportChange(previous, report, at, 180)).toContain(words);
  });

  it('finds a change when the previous report had gone stale before this one arrived', () => {
    // Prepare
    const late = '2026-01-05T09:03:01Z';

    // Act
    const change = reportChange(stored(), incoming({ reportedAt: late }), late, 180);

    // Assess
    expect(change).toContain('its previous report had gone stale');
  });
});

describe('sweepChange', () => {
  const plan = (over: Partial<RoutePlan> = {}): RoutePlan => ({
    group: 'vendor-vpn',
    decision: {
      outcome: 'unchanged',
      trigger: 'automatic',
      activeBefore: 'i-a',
      activeAfter: 'i-a',
      reason: 'the active gateway is healthy',
    },
    activeNetworkInterfaceId: 'eni-a',
    actions: [],
    ...over,
  });
  const record = groupRecord({ activeInstanceId: 'i-a' });

  it('finds nothing to do for a converged group whose record stays', () => {
    expect(sweepChange(plan(), record, record)).toBeNull();
  });

  it('runs for a planned action, a decision other than unchanged, or a record that changes', () => {
    const action = { kind: 'disable-source-dest-check' } as RoutePlan['actions'][number];
    expect(sweepChange(plan({ actions: [action] }), record, record)).toBe('1 change(s) planned');
    expect(
      sweepChange(plan({ decision: { ...plan().decision, outcome: 'no-healthy-member' } }), record, record),
    ).toContain('decision no-healthy-member');
    expect(sweepChange(plan(), record, { ...record, pendingSoftFailure: null, lastSwitchAt: at })).toBe(
      'the group record changes',
    );
  });
});

describe('execution names', () => {
  it('names a signal by its kind and id within Step Functions rules', () => {
    // Act
    const name = executionName('agent-report', 'c3d1e2f3-0a1b-4c2d-8e3f-4a5b6c7d8e9f');

    // Assess
    expect(name).toBe('agent-report-c3d1e2f3-0a1b-4c2d-8e3f-4a5b6c7d8e9f');
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(executionName('alarm', 'x'.repeat(200))).toHaveLength(80);
    expect(executionName('alarm', 'a b/c')).toBe('alarm-a_b_c');
  });

  it('names a sweep by the minute it fires in', () => {
    expect(sweepExecutionName('2026-01-05T09:05:00.123Z')).toBe('sweep-202601050905');
    expect(sweepExecutionName('2026-01-05T09:05:59.999Z')).toBe('sweep-202601050905');
  });
});
