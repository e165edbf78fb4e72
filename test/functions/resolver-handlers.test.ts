import { beforeAll, describe, expect, it } from 'vitest';

// The intake's answers need no AWS call. applyResolverActions and observeResolverRules run on the simulated
// account (test/adapters/resolver-apply.test.ts), as does the apply handler (test/functions/resolver-apply.test.ts).

describe('resolver handlers', () => {
  const ENV = {
    GROUP_NAME: 'prod',
    STATE_TABLE: 'state',
    RESOLVER_TRACKED_NAMES: 'db.vendor.example',
    RESOLVER_TARGET_IPS: '10.0.0.2',
    RESOLVER_OUTBOUND_ENDPOINT_ID: 'rslvr-out-0123456789abcdef0',
    RESOLVER_VPC_IDS: 'vpc-0a1b2c3d',
  };
  beforeAll(() => {
    Object.assign(process.env, ENV);
  });

  it('intake rejects a route operation, naming the field', async () => {
    // Prepare
    const { handler } = await import('../../functions/resolver-intake/index.js');

    // Act
    const intake = handler({ input: { operation: 'failover' } });

    // Assess
    await expect(intake).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('operation'),
    });
  });

  it('intake ignores an agent report with every tunnel down: the vendor DNS is out of reach', async () => {
    // Prepare
    const { handler } = await import('../../functions/resolver-intake/index.js');
    const { default: sample } = await import('../../events/agent-tunnels-down.json', { with: { type: 'json' } });

    // Act
    const result = await handler({ input: { ...sample, detail: { ...sample.detail, group: 'prod' } } });

    // Assess
    expect(result.ignored).toContain('no tunnel is up');
  });
});
