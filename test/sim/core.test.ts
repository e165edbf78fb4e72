import { describe, expect, it } from 'vitest';
import { SimClock } from '../../sim/core/clock.js';
import { Faults } from '../../sim/core/faults.js';
import { sequentialDepth } from '../../sim/core/request-log.js';
import { parseQueryBody, toXml } from '../../sim/protocols/query.js';

describe('parseQueryBody', () => {
  it('turns numbered members into lists and dotted names into structures', () => {
    // Prepare
    const body =
      'Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Value.2=vpc-2&Filter.2.Name=tag%3Aowner&Filter.2.Value.1=net&MaxResults=5';

    // Act
    const parsed = parseQueryBody(body);

    // Assess
    expect(parsed).toEqual({
      action: 'DescribeRouteTables',
      version: '2016-11-15',
      params: {
        Filter: [
          { Name: 'vpc-id', Value: ['vpc-1', 'vpc-2'] },
          { Name: 'tag:owner', Value: ['net'] },
        ],
        MaxResults: '5',
      },
    });
  });

  it.each([
    ['a body without Action', 'Version=2016-11-15', 'MissingAction'],
    ['an empty name segment', 'Action=X&Filter..Name=a', 'InvalidParameter'],
    ['a list index used as a structure', 'Action=X&Filter.1=a&Filter.1.Name=b', 'InvalidParameter'],
  ])('rejects %s', (_label, body, code) => {
    expect(() => parseQueryBody(body)).toThrow(expect.objectContaining({ code }));
  });
});

describe('toXml', () => {
  it('writes lists as items, leaves out undefined and escapes text', () => {
    expect(toXml({ routeSet: [{ state: 'blackhole' }], gone: undefined, note: 'a<b & "c"' }, 'item')).toBe(
      '<routeSet><item><state>blackhole</state></item></routeSet><note>a&lt;b &amp; &quot;c&quot;</note>',
    );
  });
});

describe('Faults', () => {
  it('fails the given share of calls, repeatably for one seed', () => {
    // Prepare
    const run = () => {
      const faults = new Faults(42);
      faults.add({ service: 'ec2', errorRate: 0.3, errorCode: 'RequestLimitExceeded' });
      return Array.from({ length: 1000 }, () => faults.decide('ec2', 'ReplaceRoute', 0).error?.code ?? 'ok');
    };

    // Act
    const first = run();
    const second = run();

    // Assess
    const failures = first.filter((c) => c === 'RequestLimitExceeded').length;
    expect(failures).toBeGreaterThan(250);
    expect(failures).toBeLessThan(350);
    expect(second).toEqual(first);
  });

  it('stops matching after `times` calls and matches only its action', () => {
    // Prepare
    const faults = new Faults();
    faults.add({ service: 'ec2', action: 'CreateRoute', errorRate: 1, errorCode: 'InternalError', times: 1 });

    // Act
    const outcomes = [
      faults.decide('ec2', 'ReplaceRoute', 0),
      faults.decide('ec2', 'CreateRoute', 0),
      faults.decide('ec2', 'CreateRoute', 0),
    ];

    // Assess
    expect(outcomes.map((o) => o.error?.code)).toEqual([undefined, 'InternalError', undefined]);
    expect(outcomes[1]?.error?.status).toBe(500);
  });

  it('starts after `afterCalls` matching calls and matches only requests containing `match`', () => {
    // Prepare
    const faults = new Faults();
    faults.add({ service: 'lambda', action: 'Invoke', match: 'RouteApply', afterCalls: 1, errorRate: 1, times: 2 });

    // Act
    const codes = [
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteDecide-1/invocations'),
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteApply-1/invocations'),
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteApply-1/invocations'),
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteDecide-1/invocations'),
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteApply-1/invocations'),
      faults.decide('lambda', 'Invoke', 0, {}, '/functions/x-RouteApply-1/invocations'),
    ].map((d) => d.error?.code ?? 'served');

    // Assess
    expect(codes).toEqual(['served', 'served', 'InternalError', 'served', 'InternalError', 'served']);
    expect(() => new Faults().add({ service: 'ec2', afterCalls: -1 })).toThrow(/afterCalls/);
  });

  it('throttles once a bucket is empty and serves again after refill', () => {
    // Prepare
    const faults = new Faults(1, { ec2: { code: 'RequestLimitExceeded', status: 503 } });
    faults.throttle({
      service: 'ec2',
      buckets: { mutating: { capacity: 2, refillPerSecond: 1 } },
      bucketOf: (action) => (action.startsWith('Describe') ? undefined : 'mutating'),
    });

    // Act
    const atZero = [0, 0, 0].map(() => faults.decide('ec2', 'ReplaceRoute', 0));
    const describe = faults.decide('ec2', 'DescribeRouteTables', 0);
    const afterOneSecond = faults.decide('ec2', 'ReplaceRoute', 1000);

    // Assess
    expect(atZero.map((d) => d.injected ?? 'served')).toEqual(['served', 'served', 'throttle']);
    expect(atZero[2]?.error).toMatchObject({ code: 'RequestLimitExceeded', status: 503 });
    expect(describe.error).toBeUndefined();
    expect(afterOneSecond.error).toBeUndefined();
  });

  it('rejects a rule with an error rate outside 0..1', () => {
    expect(() => new Faults().add({ service: 'ec2', errorRate: 2 })).toThrow(/errorRate must be between 0 and 1/);
  });
});

describe('sequentialDepth', () => {
  it('counts calls waited for one after another, not calls made side by side', () => {
    // Prepare: two parallel calls, then one after both, then three in parallel.
    const calls = [
      { start: 0, end: 10 },
      { start: 0, end: 12 },
      { start: 12, end: 20 },
      { start: 21, end: 30 },
      { start: 21, end: 31 },
      { start: 22, end: 29 },
    ];

    // Act
    const depth = sequentialDepth(calls);

    // Assess
    expect(depth).toBe(3);
  });
});

describe('SimClock', () => {
  it('fires timers in time order as time advances, each seeing its own time', () => {
    // Prepare
    const clock = new SimClock(0);
    const fired: string[] = [];
    clock.schedule(2000, () => fired.push(`b@${clock.now()}`));
    clock.schedule(1000, () => fired.push(`a@${clock.now()}`));
    const cancel = clock.schedule(1500, () => fired.push('cancelled'));
    cancel();

    // Act
    clock.advance(1500);
    const midway = [...fired];
    clock.advance(1000);

    // Assess
    expect(midway).toEqual(['a@1000']);
    expect(fired).toEqual(['a@1000', 'b@2000']);
    expect(clock.now()).toBe(2500);
  });
});
