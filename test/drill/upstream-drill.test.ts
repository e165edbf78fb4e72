import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScenario, runScenario } from '../../sim/drill/runner.js';
import { type SimAccount, startSim } from '../../sim/index.js';
import type { Ec2Service } from '../../sim/services/ec2/service.js';
import type { SnsService } from '../../sim/services/sns.js';

const root = resolve(import.meta.dirname, '../..');
const scenario = (name: string) => readScenario(resolve(root, 'scenarios', `${name}.yaml`));

/**
 * The drill's data plane on another endpoint, as with moto or LocalStack: a second simulated account
 * serves EC2, Route 53 Resolver, DynamoDB and SNS. It is strict where those are: a Resolver endpoint
 * needs an existing security group, a table name can be created once, its SNS messages cannot be read
 * from here, and it is never reset by the drill. Its instances start at once, as moto's do.
 */
describe('drill against another endpoint', () => {
  let upstream: SimAccount;
  let local: SimAccount;

  beforeAll(async () => {
    upstream = await startSim();
    upstream.service<Ec2Service>('ec2').world.delays = { pending: 0, stopping: 0, shuttingDown: 0 };
    local = await startSim({
      upstream: { endpoint: upstream.endpoint, services: ['ec2', 'route53resolver', 'dynamodb', 'sns'] },
    });
  });
  afterAll(async () => {
    await local.stop();
    await upstream.stop();
  });

  it('plays scenarios one after another on it, each on what it built, notifications read where they went', {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const names = ['resolver-first-run', 'routes-tunnels-down-failover', 'routes-report-fails-after-apply'];

    // Act
    const results = [];
    for (const name of names) results.push(await runScenario(scenario(name), { sim: local, root }));

    // Assess
    for (const result of results) {
      expect({ name: result.name, error: result.error, failed: result.expectations.filter((e) => !e.ok) }).toEqual({
        name: result.name,
        error: undefined,
        failed: [],
      });
    }
    expect(local.service<SnsService>('sns').published).toEqual([]);
    expect(upstream.service<SnsService>('sns').published.length).toBeGreaterThan(0);
    expect(upstream.log.all({ service: 'route53resolver' }).some((r) => r.action === 'CreateResolverEndpoint')).toBe(
      true,
    );
  });

  it("reports a topology the endpoint refuses as that scenario's error, naming the refusal", async () => {
    // Prepare: an endpoint in a subnet the topology does not have
    const bad = { ...scenario('resolver-first-run'), name: 'refused' };
    bad.topology = {
      ...bad.topology,
      resolverEndpoints: [{ name: 'outbound', direction: 'OUTBOUND', subnets: ['app.a', 'nowhere.b'] }],
    };

    // Act
    const result = await runScenario(bad, { sim: local, root });

    // Assess
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^building the topology: no subnet named nowhere\.b/);
  });
});
