import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern, validateEventPattern } from '../../sim/eventbridge/pattern.js';

// The EC2 event of the "Creating event patterns" page.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...ec2Event, detail });

type Case = [name: string, pattern: unknown, event: unknown, expected: boolean];

const cases: Case[] = [
  // Top-level fields and nesting
  [
    'source, detail-type and detail.state together',
    {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    ec2Event,
    true,
  ],
  ['a different detail.state', { source: ['aws.ec2'], detail: { state: ['running'] } }, ec2Event, false],
  ['any of several source values', { source: ['aws.ec2', 'aws.fargate'] }, ec2Event, true],
  ['none of several source values', { source: ['aws.s3', 'aws.fargate'] }, ec2Event, false],
  ['account and region', { account: ['111122223333'], region: ['us-west-1'] }, ec2Event, true],
  ['another region', { region: ['us-east-1'] }, ec2Event, false],
  ['a field the event lacks', { detail: { 'c-count': [5] } }, ec2Event, false],
  ['exact strings are case-sensitive', { source: ['AWS.EC2'] }, ec2Event, false],
  ['a nested field under a scalar', { source: { inner: ['x'] } }, ec2Event, false],
  // Arrays in events
  [
    'resources: any element of the event array',
    { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0', 'other'] },
    { ...ec2Event, resources: ['first', 'arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
    true,
  ],
  ['resources: no element in common', { resources: ['x', 'y'] }, ec2Event, false],
  [
    'array of objects: fields of one element',
    { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
    {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ],
    },
    true,
  ],
  [
    'array of objects: fields from two elements do not combine',
    { employees: { firstName: ['Anna'], lastName: ['Doe'] } },
    {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ],
    },
    false,
  ],
  [
    'multi-level arrays of objects',
    { employees: { firstName: ['Peter'] } },
    { employees: [[{ firstName: 'John' }], [{ firstName: 'Peter' }]] },
    true,
  ],
  // Value types: numbers, booleans, null, empty string
  ['a number', { detail: { 'risk-score': [80] } }, withDetail({ 'risk-score': 80 }), true],
  ['a number is not its string', { detail: { 'risk-score': ['80'] } }, withDetail({ 'risk-score': 80 }), false],
  ['true', { detail: { flag: [true] } }, withDetail({ flag: true }), true],
  ['true is not "true"', { detail: { flag: [true] } }, withDetail({ flag: 'true' }), false],
  ['false is not absent', { detail: { flag: [false] } }, withDetail({}), false],
  ['null', { detail: { responseElements: [null] } }, withDetail({ eventVersion: '', responseElements: null }), true],
  ['empty string', { detail: { eventVersion: [''] } }, withDetail({ eventVersion: '', responseElements: null }), true],
  [
    'empty string does not match null',
    { detail: { responseElements: [''] } },
    withDetail({ responseElements: null }),
    false,
  ],
  ['null does not match empty string', { detail: { eventVersion: [null] } }, withDetail({ eventVersion: '' }), false],
  // prefix
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, ec2Event, true],
  ['prefix, not at the start', { time: [{ prefix: '12-22' }] }, ec2Event, false],
  ['prefix is case-sensitive', { source: [{ prefix: 'AWS.' }] }, ec2Event, false],
  ['prefix ignores numbers', { detail: { n: [{ prefix: '1' }] } }, withDetail({ n: 12 }), false],
  [
    'prefix equals-ignore-case',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    withDetail({ service: 'eventbridge' }),
    true,
  ],
  [
    'prefix equals-ignore-case, other start',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    withDetail({ service: 'sns' }),
    false,
  ],
  // suffix
  ['suffix', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'a.png' }), true],
  ['suffix, other ending', { detail: { FileName: [{ suffix: '.png' }] } }, withDetail({ FileName: 'a.jpg' }), false],
  [
    'suffix is case-sensitive',
    { detail: { FileName: [{ suffix: '.png' }] } },
    withDetail({ FileName: 'a.PNG' }),
    false,
  ],
  [
    'suffix equals-ignore-case',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    withDetail({ FileName: 'A.PNG' }),
    true,
  ],
  [
    'suffix equals-ignore-case, other ending',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    withDetail({ FileName: 'A.GIF' }),
    false,
  ],
  // equals-ignore-case
  [
    'equals-ignore-case',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    withDetail({ Name: 'ALICE' }),
    true,
  ],
  [
    'equals-ignore-case, other',
    { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    withDetail({ Name: 'bob' }),
    false,
  ],
  // anything-but
  ['anything-but string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event, true],
  ['anything-but string, excluded', { detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2Event, false],
  ['anything-but number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 5 }), true],
  [
    'anything-but number, excluded',
    { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    withDetail({ 'x-limit': 123 }),
    false,
  ],
  [
    'anything-but list of strings',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    withDetail({ state: 'running' }),
    true,
  ],
  [
    'anything-but list of strings, excluded',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    withDetail({ state: 'overloaded' }),
    false,
  ],
  [
    'anything-but list of numbers',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    withDetail({ 'x-limit': 301.8 }),
    true,
  ],
  [
    'anything-but list of numbers, excluded',
    { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    withDetail({ 'x-limit': 200 }),
    false,
  ],
  ['anything-but on an absent field', { detail: { state: [{ 'anything-but': 'x' }] } }, withDetail({}), false],
  ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2Event, true],
  [
    'anything-but prefix, excluded',
    { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    withDetail({ state: 'initializing' }),
    false,
  ],
  [
    'anything-but prefix list, excluded',
    { detail: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } },
    withDetail({ state: 'error-3' }),
    false,
  ],
  [
    'anything-but suffix',
    { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
    withDetail({ FileName: 'a.txt' }),
    true,
  ],
  [
    'anything-but suffix, excluded',
    { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
    withDetail({ FileName: 'a.png' }),
    false,
  ],
  [
    'anything-but equals-ignore-case',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    withDetail({ state: 'running' }),
    true,
  ],
  [
    'anything-but equals-ignore-case, excluded',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    withDetail({ state: 'INITIALIZING' }),
    false,
  ],
  [
    'anything-but equals-ignore-case list, excluded',
    { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } },
    withDetail({ state: 'overloaded' }),
    false,
  ],
  [
    'anything-but wildcard',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/bin/x' }),
    true,
  ],
  [
    'anything-but wildcard, excluded',
    { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    withDetail({ FilePath: '/usr/lib/x' }),
    false,
  ],
  // numeric
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, withDetail({ 'c-count': 5 }), true],
  [
    'numeric range, open bottom',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 0 }),
    false,
  ],
  [
    'numeric range, above',
    { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
    withDetail({ 'c-count': 6 }),
    false,
  ],
  ['numeric <', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, withDetail({ 'd-count': 3 }), true],
  ['numeric <, equal', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, withDetail({ 'd-count': 10 }), false],
  ['numeric >=', { detail: { n: [{ numeric: ['>=', 10] }] } }, withDetail({ n: 10 }), true],
  ['numeric =', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, withDetail({ 'x-limit': 301.8 }), true],
  ['numeric =, other', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, withDetail({ 'x-limit': 301 }), false],
  ['numeric ignores numeric strings', { detail: { n: [{ numeric: ['>', 0] }] } }, withDetail({ n: '5' }), false],
  // exists
  ['exists true', { detail: { state: [{ exists: true }] } }, ec2Event, true],
  ['exists true, absent', { detail: { 'c-count': [{ exists: true }] } }, ec2Event, false],
  ['exists false, absent', { detail: { 'c-count': [{ exists: false }] } }, ec2Event, true],
  ['exists false, present', { detail: { state: [{ exists: false }] } }, ec2Event, false],
  [
    'exists false on a non-leaf (documented)',
    { detail: { 'c-count': [{ exists: false }] } },
    withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
    true,
  ],
  [
    'exists true on a non-leaf',
    { detail: { 'c-count': [{ exists: true }] } },
    withDetail({ 'c-count': { c1: 1 } }),
    false,
  ],
  ['exists false when the parent is absent', { other: { field: [{ exists: false }] } }, ec2Event, true],
  ['exists true on null', { detail: { r: [{ exists: true }] } }, withDetail({ r: null }), true],
  ['exists false on null', { detail: { r: [{ exists: false }] } }, withDetail({ r: null }), false],
  ['exists false on an empty array', { detail: { r: [{ exists: false }] } }, withDetail({ r: [] }), true],
  ['exists false under an empty array of objects', { items: { name: [{ exists: false }] } }, { items: [] }, true],
  ['exists true under an empty array of objects', { items: { name: [{ exists: true }] } }, { items: [] }, false],
  // wildcard
  [
    'wildcard',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    withDetail({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/b' }),
    true,
  ],
  [
    'wildcard, other region',
    { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    withDetail({ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/b' }),
    false,
  ],
  ['wildcard matches an empty run', { source: [{ wildcard: 'aws.*ec2' }] }, ec2Event, true],
  ['wildcard escaped star is literal', { detail: { k: [{ wildcard: 'a\\*b' }] } }, withDetail({ k: 'a*b' }), true],
  [
    'wildcard escaped star is not a wildcard',
    { detail: { k: [{ wildcard: 'a\\*b' }] } },
    withDetail({ k: 'axxb' }),
    false,
  ],
  ['wildcard escaped backslash', { detail: { k: [{ wildcard: 'a\\\\*' }] } }, withDetail({ k: 'a\\zz' }), true],
  ['wildcard regex characters are literal', { detail: { k: [{ wildcard: 'a.c' }] } }, withDetail({ k: 'abc' }), false],
  // cidr
  [
    'cidr IPv4',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.0.33' }),
    true,
  ],
  [
    'cidr IPv4, outside',
    { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    withDetail({ sourceIPAddress: '10.0.1.1' }),
    false,
  ],
  ['cidr IPv6', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db8:1::5' }), true],
  ['cidr IPv6, outside', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, withDetail({ ip: '2001:db9::5' }), false],
  ['cidr, not an address', { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, withDetail({ ip: 'host.example' }), false],
  // $or
  [
    '$or, second branch',
    { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
    { source: 'aws.cloudwatch', namespace: 'AWS/EC2' },
    true,
  ],
  [
    '$or, no branch',
    { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
    { source: 'aws.cloudwatch', namespace: 'AWS/ES' },
    false,
  ],
  [
    '$or, and the outer field fails',
    { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
    { source: 'aws.ec2', namespace: 'AWS/EC2' },
    false,
  ],
  [
    '$or nested with and inside',
    {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    },
    { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
    true,
  ],
  ['$or inside detail', { detail: { $or: [{ state: ['running'] }, { state: ['terminated'] }] } }, ec2Event, true],
  ['$or holding an object is a field name', { $or: { a: ['1'] } }, { $or: { a: '1' } }, true],
  // several values on one field: any one matching
  ['one field, an exact value or a prefix', { source: ['aws.s3', { prefix: 'aws.e' }] }, ec2Event, true],
  ['pattern given as JSON text', JSON.stringify({ source: ['aws.ec2'] }), ec2Event, true],
];

describe('matchesEventPattern', () => {
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    // Act
    const matched = matchesEventPattern(pattern, event);

    // Assess
    expect(matched).toBe(expected);
  });
});

const invalid: [name: string, pattern: unknown, path: string][] = [
  ['a non-object pattern', ['aws.ec2'], '$'],
  ['a null pattern', null, '$'],
  ['text that is not JSON', '{source:', '$'],
  ['an empty pattern', {}, '$'],
  ['an empty nested object', { detail: {} }, 'detail'],
  ['a leaf that is not an array', { source: 'aws.ec2' }, 'source'],
  ['an empty array', { source: [] }, 'source'],
  ['an array inside a leaf', { source: [['aws.ec2']] }, 'source[0]'],
  ['an unknown operator', { source: [{ contains: 'ec2' }] }, 'source[0]'],
  ['two operators in one expression', { source: [{ prefix: 'a', suffix: 'b' }] }, 'source[0]'],
  ['a non-string prefix', { source: [{ prefix: 5 }] }, 'source[0].prefix'],
  ['an unknown prefix option', { source: [{ prefix: { 'starts-with': 'a' } }] }, 'source[0].prefix'],
  ['a non-boolean exists', { source: [{ exists: 'yes' }] }, 'source[0].exists'],
  ['a numeric with a bad operator', { n: [{ numeric: ['!=', 5] }] }, 'n[0].numeric'],
  ['a numeric with a string value', { n: [{ numeric: ['>', '5'] }] }, 'n[0].numeric'],
  ['a numeric range upside down', { n: [{ numeric: ['>', 10, '<', 5] }] }, 'n[0].numeric'],
  ['a numeric range starting with <', { n: [{ numeric: ['<', 10, '>', 5] }] }, 'n[0].numeric'],
  ['a numeric = with extra terms', { n: [{ numeric: ['=', 1, '<', 5] }] }, 'n[0].numeric'],
  ['a numeric that is not an array', { n: [{ numeric: 5 }] }, 'n[0].numeric'],
  ['a wildcard with consecutive stars', { s: [{ wildcard: 'a**b' }] }, 's[0].wildcard'],
  ['a wildcard escaping a letter', { s: [{ wildcard: 'a\\b' }] }, 's[0].wildcard'],
  ['anything-but with mixed types', { s: [{ 'anything-but': ['a', 1] }] }, 's[0].anything-but'],
  ['anything-but with null', { s: [{ 'anything-but': null }] }, 's[0].anything-but'],
  ['anything-but with an unknown option', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }, 's[0].anything-but'],
  ['anything-but with an empty prefix', { s: [{ 'anything-but': { prefix: '' } }] }, 's[0].anything-but'],
  ['a malformed cidr', { ip: [{ cidr: '10.0.0.0' }] }, 'ip[0].cidr'],
  ['a cidr with a /32 mask', { ip: [{ cidr: '10.0.0.1/32' }] }, 'ip[0].cidr'],
  ['a cidr that is not an address', { ip: [{ cidr: '10.0.0.300/8' }] }, 'ip[0].cidr'],
  ['$or with one branch', { $or: [{ a: ['1'] }] }, '$or'],
  ['$or with a non-object branch', { $or: [{ a: ['1'] }, ['b']] }, '$or[1]'],
  ['a reserved name inside $or', { $or: [{ numeric: [1] }, { a: ['1'] }] }, '$or[0].numeric'],
];

describe('validateEventPattern', () => {
  it.each(invalid)('rejects %s, naming %s', (_name, pattern, path) => {
    // Act
    const attempt = () => validateEventPattern(pattern);

    // Assess
    expect(attempt).toThrow(InvalidEventPatternError);
    expect(attempt).toThrow(`at ${path}:`);
  });

  it('accepts every documented operator', () => {
    // Prepare
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      source: [
        { suffix: 'ec2' },
        { prefix: { 'equals-ignore-case': 'AWS' } },
        { suffix: { 'equals-ignore-case': 'EC2' } },
      ],
      detail: {
        state: [{ 'anything-but': 'initializing' }, { 'equals-ignore-case': 'x' }, { wildcard: 'a*b\\*' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }, { exists: false }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }, null, true, 3],
        'source-ip': [{ cidr: '10.0.0.0/8' }, { 'anything-but': { wildcard: ['*/bin/*.jar', '*.class'] } }],
        $or: [{ a: [''] }, { b: [{ 'anything-but': { suffix: ['1234', '6789'] } }] }],
      },
    };

    // Act
    const attempt = () => validateEventPattern(pattern);

    // Assess
    expect(attempt).not.toThrow();
  });

  it('sets the error name that the API error mapping relies on', () => {
    // Act
    const error = (() => {
      try {
        validateEventPattern({ source: 'aws.ec2' });
      } catch (caught) {
        return caught as Error;
      }
    })();

    // Assess
    expect(error?.name).toBe('InvalidEventPatternError');
  });

  it('is applied by matchesEventPattern before matching', () => {
    // Act
    const attempt = () => matchesEventPattern({ source: 'aws.ec2' }, ec2Event);

    // Assess
    expect(attempt).toThrow(InvalidEventPatternError);
  });
});
