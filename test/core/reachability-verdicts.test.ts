import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/errors.js';
import {
  classifyDns,
  EMPTY_PROBE_RECORD,
  type NameProbe,
  namesForResolver,
  nextProbeRecord,
  parseProbeTrigger,
  parseRange,
  vpcResolverAddress,
} from '../../functions/core/reachability/index.js';

const vendor = [parseRange('10.200.0.0/16')!, parseRange('fd00:200::/32')!];

function probe(name: string, dns: NameProbe['dns']['verdict'], tcp: NameProbe['tcp']['verdict'] = 'open'): NameProbe {
  return {
    name,
    port: 1521,
    dns: { verdict: dns, addresses: [], latencyMs: 3 },
    tcp: { verdict: dns === 'vendor-private' ? tcp : 'not-tried' },
    reachable: dns === 'vendor-private' && tcp === 'open',
  };
}

describe('vpcResolverAddress', () => {
  it.each([
    ['10.0.0.0/16', '10.0.0.2'],
    ['172.31.0.0/16', '172.31.0.2'],
    ['10.1.64.0/18', '10.1.64.2'],
  ])('is the base of %s plus two', (cidr, address) => {
    expect(vpcResolverAddress(cidr)).toBe(address);
  });

  it('rejects what is not an IPv4 CIDR', () => {
    expect(() => vpcResolverAddress('fd00::/56')).toThrow(InvalidInputError);
    expect(() => vpcResolverAddress('10.0.0.0')).toThrow(InvalidInputError);
  });
});

describe('classifyDns', () => {
  it('calls an answer inside the vendor ranges vendor-private', () => {
    expect(classifyDns({ kind: 'addresses', addresses: ['10.200.1.4', 'fd00:200::4'] }, vendor).verdict).toBe(
      'vendor-private',
    );
  });

  it('calls an answer with any address outside the vendor ranges public, naming it', () => {
    // Act
    const result = classifyDns({ kind: 'addresses', addresses: ['10.200.1.4', '1.2.3.4'] }, vendor);

    // Assess
    expect(result.verdict).toBe('public');
    expect(result.detail).toContain('1.2.3.4');
  });

  it.each([
    [{ kind: 'nxdomain' } as const, 'nxdomain'],
    [{ kind: 'nodata' } as const, 'no-address'],
    [{ kind: 'servfail' } as const, 'servfail'],
    [{ kind: 'timeout' } as const, 'timeout'],
    [{ kind: 'addresses', addresses: [] } as const, 'no-address'],
  ])('classifies %j as %s', (answer, verdict) => {
    expect(classifyDns(answer, vendor).verdict).toBe(verdict);
  });
});

describe('nextProbeRecord', () => {
  it('reports nothing for a first run where every name is reachable', () => {
    // Act
    const { record, changes } = nextProbeRecord(
      EMPTY_PROBE_RECORD,
      [probe('db', 'vendor-private')],
      '2026-01-05T09:00:00.000Z',
    );

    // Assess
    expect(changes).toEqual([]);
    expect(record.names.db).toMatchObject({ verdict: 'reachable', unreachableSince: null });
    expect(record.revision).toBe(1);
  });

  it('reports a name that becomes unreachable once, then stays quiet while the verdict holds', () => {
    // Prepare
    const first = nextProbeRecord(EMPTY_PROBE_RECORD, [probe('db', 'vendor-private')], '2026-01-05T09:00:00.000Z');

    // Act
    const second = nextProbeRecord(
      first.record,
      [probe('db', 'vendor-private', 'timeout')],
      '2026-01-05T09:01:00.000Z',
    );
    const third = nextProbeRecord(
      second.record,
      [probe('db', 'vendor-private', 'timeout')],
      '2026-01-05T09:02:00.000Z',
    );

    // Assess
    expect(second.changes).toEqual([
      { name: 'db', from: 'reachable', to: 'tcp:timeout', at: '2026-01-05T09:01:00.000Z' },
    ]);
    expect(third.changes).toEqual([]);
    expect(third.record.names.db).toMatchObject({
      since: '2026-01-05T09:01:00.000Z',
      unreachableSince: '2026-01-05T09:01:00.000Z',
    });
  });

  it('says when a name recovered and how long it was unreachable, across different failures', () => {
    // Prepare
    const down = nextProbeRecord(EMPTY_PROBE_RECORD, [probe('db', 'servfail')], '2026-01-05T09:00:00.000Z');
    const other = nextProbeRecord(down.record, [probe('db', 'vendor-private', 'timeout')], '2026-01-05T09:01:00.000Z');

    // Act
    const up = nextProbeRecord(other.record, [probe('db', 'vendor-private')], '2026-01-05T09:02:30.000Z');

    // Assess
    expect(down.changes).toHaveLength(1);
    expect(other.changes[0]).toMatchObject({ from: 'dns:servfail', to: 'tcp:timeout' });
    expect(up.changes).toEqual([
      {
        name: 'db',
        from: 'tcp:timeout',
        to: 'reachable',
        at: '2026-01-05T09:02:30.000Z',
        unreachableSince: '2026-01-05T09:00:00.000Z',
        downSeconds: 150,
      },
    ]);
  });

  it('lets a run that started before the last recorded one change nothing', () => {
    // Prepare: the run after a failover (09:02:10.300) recorded the recovery first.
    const down = nextProbeRecord(EMPTY_PROBE_RECORD, [probe('db', 'servfail')], '2026-01-05T09:01:10.000Z');
    const up = nextProbeRecord(down.record, [probe('db', 'vendor-private')], '2026-01-05T09:02:10.300Z');

    // Act: the scheduled run that started at 09:02:10.000, still seeing the failure, writes last.
    const late = nextProbeRecord(up.record, [probe('db', 'servfail')], '2026-01-05T09:02:10.000Z');

    // Assess
    expect(late.stale).toBe(true);
    expect(late.changes).toEqual([]);
    expect(late.record).toBe(up.record);
  });
});

describe('namesForResolver', () => {
  const base = {
    now: '2026-01-05T09:10:00.000Z',
    resolverWokenAt: null,
    cooldownSeconds: 300,
    triggeredByResolver: false,
  };

  it('wakes the resolver reconciler for tracked names answered publicly, never for a TCP failure', () => {
    // Act
    const names = namesForResolver(
      [probe('db', 'public'), probe('other', 'public'), probe('db2', 'vendor-private', 'refused')],
      ['db', 'db2'],
      base,
    );

    // Assess
    expect(names).toEqual(['db']);
  });

  it('stays quiet within the cooldown and on a run the reconciler started', () => {
    expect(
      namesForResolver([probe('db', 'public')], ['db'], { ...base, resolverWokenAt: '2026-01-05T09:06:00.000Z' }),
    ).toEqual([]);
    expect(namesForResolver([probe('db', 'public')], ['db'], { ...base, triggeredByResolver: true })).toEqual([]);
    expect(
      namesForResolver([probe('db', 'public')], ['db'], { ...base, resolverWokenAt: '2026-01-05T09:04:00.000Z' }),
    ).toEqual(['db']);
  });
});

describe('parseProbeTrigger', () => {
  it('tells a scheduled, an on-demand and an event-driven run apart', () => {
    expect(parseProbeTrigger({ requestedBy: 'schedule' }).kind).toBe('schedule');
    expect(parseProbeTrigger({}).kind).toBe('manual');
    expect(parseProbeTrigger({ requestedBy: 'cli' }).summary).toBe('on demand by cli');
  });

  it('rejects an input that is neither, naming it', () => {
    expect(() => parseProbeTrigger({ operation: 'failover' })).toThrow(InvalidInputError);
    expect(() => parseProbeTrigger('now')).toThrow(/input/);
  });
});
