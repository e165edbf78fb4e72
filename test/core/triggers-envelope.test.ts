import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/routes/errors.js';
import { parseTrigger } from '../../functions/core/triggers.js';

const stopped = (): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../events/ec2-instance-stopped.json'), 'utf8'));

describe('EventBridge envelope (Powertools parser schema)', () => {
  it('accepts what the parser schema accepts, including a replayed event', () => {
    // Prepare
    const event = { ...stopped(), 'replay-name': 'archive-replay' };
    // Act
    const trigger = parseTrigger(event);
    // Assess
    expect(EventBridgeSchema.safeParse(event).success).toBe(true);
    expect(trigger).toMatchObject({ kind: 'instance-state', eventId: '1f1b5a2e-3c77-4f0e-9d59-52c8d3a9f0a1' });
  });

  it.each([
    ['time', '5 January 2026 09:15'],
    ['time', '2026-01-05T09:15:00+01:00'],
    ['account', 123456789012],
    ['resources', 'arn:aws:ec2:eu-west-2:123456789012:instance/i-0abcdef1234567890'],
    ['id', ''],
  ])('refuses an envelope whose %s is %j, naming the field', (field, value) => {
    // Prepare
    const event = { ...stopped(), [field]: value };
    // Act
    const parse = () => parseTrigger(event);
    // Assess
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(new RegExp(`^${field}`));
  });
});
