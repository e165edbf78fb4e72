import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GROUP } from '../core/routes-fixtures.js';

// The handlers read their configuration at import: the same tables and destinations as the core's fixtures.
Object.assign(process.env, {
  GROUP_NAME: GROUP,
  MANAGED_ROUTE_TABLE_IDS: 'rtb-0000000a,rtb-0000000b',
  MANAGED_CIDRS: '10.10.0.0/16',
  MANAGED_PREFIX_LIST_IDS: 'pl-0000000a',
  STATE_TABLE: 'cgw-autopilot-state',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-2:123456789012:cgw-autopilot',
});

const root = resolve(import.meta.dirname, '../..');
/** A sample from events/, fresh for each use. */
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8'));

// These mocks only record calls, to show that none is made: an input refused or ignored before any AWS
// call. What the handlers do with AWS's answers runs on the simulated account: route-intake.test.ts,
// route-decide-report.test.ts and route-apply.test.ts.
const ec2 = mockClient(EC2Client);
const dynamo = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  ec2.reset();
  dynamo.reset();
});

describe('route-intake handler', () => {
  let handler: typeof import('../../functions/route-intake/index.js').handler;
  beforeAll(async () => {
    ({ handler } = await import('../../functions/route-intake/index.js'));
  });

  it.each(['networkmanager-tgw-vpc-attachment-deleted.json', 'cloudtrail-delete-tgw-vpc-attachment.json'])(
    'ignores the primary-path signal %s when no primary path is configured, recording nothing',
    async (file) => {
      // Act
      const intake = await handler({ input: sample(file) });

      // Assess
      expect(intake.trigger.kind).toBe('primary-path');
      expect(intake.ignored).toMatch(/: no primary path is configured$/);
      expect(dynamo.calls()).toHaveLength(0);
      expect(ec2.calls()).toHaveLength(0);
    },
  );

  it('ignores an agent report for another group and records nothing', async () => {
    // Prepare
    const event = sample('agent-other-group.json');

    // Act
    const intake = await handler({ input: event });

    // Assess
    expect(intake.ignored).toBe(`report for group other-vpn, not ${GROUP}`);
    expect(dynamo.calls()).toHaveLength(0);
  });

  /** The agent's report sample, sent now (by the test's clock) unless told otherwise. */
  const agentReport = (detail: Record<string, unknown> = {}) => {
    const event = sample('agent-tunnels-up.json');
    Object.assign(event.detail as Record<string, unknown>, { reportedAt: new Date().toISOString(), ...detail });
    return event;
  };

  it.each([
    ['9', 'not an ISO-8601 UTC time'],
    ['2026-01-05T09:00:30+01:00', 'not an ISO-8601 UTC time'],
    [new Date(Date.now() + 3_600_000).toISOString(), 'ahead of the time it was received'],
  ])('refuses an agent report dated %j, naming reportedAt, before any AWS call', async (reportedAt, words) => {
    // Prepare
    const event = agentReport({ reportedAt });

    // Act
    const intake = handler({ input: event });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'detail.reportedAt' });
    await expect(intake).rejects.toThrow(words);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('rejects a malformed event with InvalidInputError naming the field, before any AWS call', async () => {
    // Prepare
    const event = sample('ec2-instance-terminated.json');
    (event.detail as Record<string, unknown>)['instance-id'] = 'web-1';

    // Act
    const intake = handler({ input: event });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'detail.instance-id' });
    expect(dynamo.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('refuses targetInstanceId on a repair', async () => {
    // Prepare
    const { targetInstanceId } = sample('manual-failover-to-instance.json');
    const input = { ...sample('manual-repair.json'), targetInstanceId };

    // Act
    const intake = handler({ input });

    // Assess
    await expect(intake).rejects.toMatchObject({ name: 'InvalidInputError', field: 'targetInstanceId' });
  });
});
