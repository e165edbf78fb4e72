import { describe, expect, it } from 'vitest';
import {
  type IncomingAgentReport,
  judgeAgentReport,
  MAX_FUTURE_SKEW_SECONDS,
  type StoredAgentReport,
} from '../../functions/core/routes/index.js';
import { parseTrigger } from '../../functions/core/triggers.js';
import { at } from './routes-fixtures.js';

const incoming = (overrides: Partial<IncomingAgentReport> = {}): IncomingAgentReport => ({
  instanceId: 'i-a',
  tunnels: [{ name: 'tunnel1', status: 'up' }],
  bgp: 'up',
  reportedAt: at(0),
  bootId: 'boot-1',
  sequence: 5,
  ...overrides,
});

const stored = (overrides: Partial<StoredAgentReport> = {}): StoredAgentReport => ({
  ...incoming({ sequence: 4, reportedAt: at(-10) }),
  receivedAt: at(-10),
  retiredBoots: [],
  ...overrides,
});

/** An agent event as EventBridge delivers it, with `detail` fields overridden. */
const agentEvent = (detail: Record<string, unknown>) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Gateway Tunnel State',
  source: 'cgw-autopilot.agent',
  account: '123456789012',
  time: '2026-01-05T09:00:30Z',
  region: 'eu-west-2',
  resources: [],
  detail: {
    group: 'vendor-vpn',
    instanceId: 'i-0abcdef1234567890',
    tunnels: [{ name: 'tunnel1', status: 'up' }],
    bgp: 'up',
    reportedAt: '2026-01-05T09:00:30Z',
    bootId: '6f1c1e2a-0b7d-4e55-9d0a-8f1a1b2c3d4e',
    sequence: 1,
    ...detail,
  },
});

describe('the agent report schema', () => {
  it.each([
    ['9', 'a bare number Date.parse reads as the year 2001'],
    ['2026-01-05', 'a date without a time'],
    ['2026-01-05T09:00:30', 'a time without a zone'],
    ['2026-01-05T10:00:30+01:00', 'a time in another zone'],
    ['Mon, 05 Jan 2026 09:00:30 GMT', 'an HTTP date'],
    ['2026-02-30T09:00:30Z', 'a day that does not exist'],
  ])('refuses reportedAt %j (%s), naming the field', (reportedAt) => {
    // Act
    const parse = () => parseTrigger(agentEvent({ reportedAt }));

    // Assess
    expect(parse).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: 'detail.reportedAt' }));
  });

  it.each([['2026-01-05T09:00:30Z'], ['2026-01-05T09:00:30.123Z']])('accepts reportedAt %j', (reportedAt) => {
    // Act
    const trigger = parseTrigger(agentEvent({ reportedAt }));

    // Assess
    expect(trigger).toMatchObject({ kind: 'agent-report', report: { reportedAt } });
  });

  it.each([
    ['sequence', -1],
    ['sequence', 1.5],
    ['sequence', '3'],
    ['bootId', ''],
    ['bootId', 'a b'],
  ])('refuses %s %j, naming the field', (field, value) => {
    // Act
    const parse = () => parseTrigger(agentEvent({ [field]: value }));

    // Assess
    expect(parse).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: `detail.${field}` }));
  });

  it('requires the per-boot sequence number', () => {
    // Prepare
    const event = agentEvent({});
    delete (event.detail as Record<string, unknown>).sequence;

    // Act
    const parse = () => parseTrigger(event);

    // Assess
    expect(parse).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: 'detail.sequence' }));
  });
});

describe('judgeAgentReport', () => {
  it('records the first report of a gateway with the time it was received', () => {
    // Act
    const judgement = judgeAgentReport(incoming({ reportedAt: at(-2) }), null, at(0), 180);

    // Assess
    expect(judgement).toEqual({
      accept: true,
      record: { ...incoming({ reportedAt: at(-2) }), receivedAt: at(0), retiredBoots: [] },
    });
  });

  it('orders reports of one boot by sequence number, not by the gateway clock', () => {
    // Prepare: the gateway's clock stepped back between reports 4 and 5.
    const previous = stored({ sequence: 4, reportedAt: at(-5) });

    // Act
    const judgement = judgeAgentReport(incoming({ sequence: 5, reportedAt: at(-60) }), previous, at(0), 180);

    // Assess
    expect(judgement).toMatchObject({ accept: true, record: { sequence: 5, receivedAt: at(0) } });
  });

  it.each([
    [4, 'a duplicate of'],
    [3, 'older than'],
  ])('ignores report %i of the same boot after report 4, naming the sequence', (sequence, words) => {
    // Act
    const judgement = judgeAgentReport(incoming({ sequence }), stored({ sequence: 4 }), at(0), 180);

    // Assess
    expect(judgement).toEqual({
      accept: false,
      field: 'detail.sequence',
      reason: `report ${sequence} of i-a (boot boot-1) is ${words} the recorded report 4`,
    });
  });

  it('takes a new boot whatever its sequence number and retires the previous boot', () => {
    // Act
    const judgement = judgeAgentReport(
      incoming({ bootId: 'boot-2', sequence: 0 }),
      stored({ sequence: 900, retiredBoots: ['boot-0'] }),
      at(0),
      180,
    );

    // Assess
    expect(judgement).toMatchObject({ accept: true, record: { bootId: 'boot-2', retiredBoots: ['boot-0', 'boot-1'] } });
  });

  it('ignores a late report of a retired boot, naming the boot id', () => {
    // Act
    const judgement = judgeAgentReport(
      incoming({ bootId: 'boot-1', sequence: 901 }),
      stored({ bootId: 'boot-2', sequence: 0, retiredBoots: ['boot-1'] }),
      at(0),
      180,
    );

    // Assess
    expect(judgement).toMatchObject({ accept: false, field: 'detail.bootId' });
  });

  it('ignores a report already stale when received, naming reportedAt', () => {
    // Act
    const judgement = judgeAgentReport(incoming({ reportedAt: at(-181) }), null, at(0), 180);

    // Assess
    expect(judgement).toMatchObject({ accept: false, field: 'detail.reportedAt' });
  });

  it('accepts a gateway clock ahead within the skew allowance', () => {
    // Act
    const judgement = judgeAgentReport(incoming({ reportedAt: at(MAX_FUTURE_SKEW_SECONDS) }), null, at(0), 180);

    // Assess
    expect(judgement.accept).toBe(true);
  });

  it('refuses a report dated beyond the skew allowance in the future, naming reportedAt', () => {
    // Act
    const judge = () => judgeAgentReport(incoming({ reportedAt: at(MAX_FUTURE_SKEW_SECONDS + 1) }), null, at(0), 180);

    // Assess
    expect(judge).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: 'detail.reportedAt' }));
  });
});
