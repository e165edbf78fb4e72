import { isIPv4, isIPv6 } from 'node:net';
import type { Answer } from 'dns-packet';

export const VENDOR_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT'] as const;
export type VendorRecordType = (typeof VENDOR_RECORD_TYPES)[number];

export interface RecordSet {
  values: string[];
  /** Seconds. */
  ttl: number;
}

export type ZoneSnapshot = Record<string, Partial<Record<VendorRecordType, RecordSet>>>;

/** What a recursive resolver answers for one question, before it is put on the wire. */
export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';
  answers: Answer[];
}

export const DEFAULT_TTL = 300;
/** CNAME links a query follows before giving up; recursive resolvers cap restarts at about this. */
const MAX_CHASE = 16;

/** Lower case, no trailing dot: names are matched case-insensitively (RFC 4343). */
export function zoneName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('a DNS name must be a string');
  const normalised = name.trim().toLowerCase().replace(/\.$/, '');
  if (normalised === '' || normalised.split('.').some((l) => l === '' || l.length > 63) || normalised.length > 253) {
    throw new RangeError(`not a valid DNS name: ${JSON.stringify(name)}`);
  }
  return normalised;
}

/**
 * The vendor's DNS data as its resolvers see it: every name they can answer for, in one flat map
 * (there is no delegation to model; a name that is not here does not exist).
 */
export class VendorZone {
  private readonly names = new Map<string, Map<VendorRecordType, RecordSet>>();

  /** Replaces the records of one type at name. A CNAME replaces everything else at the name and the
   * other way round, since a CNAME cannot coexist with other data (RFC 1034 3.6.2). Empty values
   * remove the record set; a name left with no records stops existing. */
  setRecord(name: string, type: VendorRecordType, values: string[], ttl = DEFAULT_TTL): void {
    const owner = zoneName(name);
    const checked = checkValues(type, values);
    if (!(Number.isInteger(ttl) && ttl >= 0 && ttl <= 0x7fffffff)) {
      throw new RangeError(`ttl must be an integer number of seconds, got ${ttl}`);
    }
    const sets = this.names.get(owner) ?? new Map<VendorRecordType, RecordSet>();
    if (checked.length === 0) sets.delete(type);
    else {
      if (type === 'CNAME') sets.clear();
      else sets.delete('CNAME');
      sets.set(type, { values: checked, ttl });
    }
    if (sets.size === 0) this.names.delete(owner);
    else this.names.set(owner, sets);
  }

  setCname(name: string, target: string, ttl = DEFAULT_TTL): void {
    this.setRecord(name, 'CNAME', [target], ttl);
  }

  setA(name: string, ips: string[], ttl = DEFAULT_TTL): void {
    this.setRecord(name, 'A', ips, ttl);
  }

  /** Removes every record at name; returns whether there were any. */
  removeName(name: string): boolean {
    return this.names.delete(zoneName(name));
  }

  clear(): void {
    this.names.clear();
  }

  /** A name exists when it owns records or when a name below it does (an empty non-terminal, RFC 8020). */
  exists(name: string): boolean {
    if (this.names.has(name)) return true;
    const suffix = `.${name}`;
    for (const owner of this.names.keys()) if (owner.endsWith(suffix)) return true;
    return false;
  }

  snapshot(): ZoneSnapshot {
    const out: ZoneSnapshot = {};
    for (const [name, sets] of [...this.names].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = Object.fromEntries([...sets].map(([type, set]) => [type, { values: [...set.values], ttl: set.ttl }]));
    }
    return out;
  }

  /**
   * Answers like a recursive resolver (RFC 1034 4.3.2): for an alias, the CNAME records of the chain
   * followed by the records of the type asked for at its end. qtype CNAME (and ANY) are not chased.
   * The first record carries the question's spelling of the name, as servers echo it.
   */
  answer(asked: string, qtype: string): ZoneAnswer {
    const answers: Answer[] = [];
    let current = zoneName(asked);
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_CHASE; hop++) {
      const owner = hop === 0 ? asked.replace(/\.$/, '') : current;
      const sets = this.names.get(current);
      if (!sets) return { rcode: this.exists(current) ? 'NOERROR' : 'NXDOMAIN', answers };
      if (qtype === 'ANY') {
        for (const [type, set] of sets) answers.push(...records(owner, type, set));
        return { rcode: 'NOERROR', answers };
      }
      const wanted = sets.get(qtype as VendorRecordType);
      if (wanted) {
        answers.push(...records(owner, qtype as VendorRecordType, wanted));
        return { rcode: 'NOERROR', answers };
      }
      const alias = sets.get('CNAME');
      if (!alias) return { rcode: 'NOERROR', answers };
      answers.push(...records(owner, 'CNAME', alias));
      seen.add(current);
      current = alias.values[0]!;
      // A loop has no answer; BIND and Unbound give up with SERVFAIL (exact behaviour varies by server).
      if (seen.has(current)) return { rcode: 'SERVFAIL', answers: [] };
    }
    return { rcode: 'SERVFAIL', answers: [] };
  }
}

function records(owner: string, type: VendorRecordType, set: RecordSet): Answer[] {
  return set.values.map((value) =>
    type === 'TXT'
      ? { type: 'TXT', name: owner, ttl: set.ttl, class: 'IN', data: [value] }
      : { type, name: owner, ttl: set.ttl, class: 'IN', data: value },
  );
}

function checkValues(type: VendorRecordType, values: string[]): string[] {
  if (!VENDOR_RECORD_TYPES.includes(type)) {
    throw new RangeError(`record type must be one of ${VENDOR_RECORD_TYPES.join(', ')}, got ${String(type)}`);
  }
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
    throw new TypeError(`${type} values must be an array of strings`);
  }
  switch (type) {
    case 'A':
      for (const v of values) if (!isIPv4(v)) throw new RangeError(`not an IPv4 address: ${v}`);
      return [...new Set(values)];
    case 'AAAA':
      for (const v of values) if (!isIPv6(v)) throw new RangeError(`not an IPv6 address: ${v}`);
      return [...new Set(values)];
    case 'CNAME':
      if (values.length > 1) throw new RangeError('a name has at most one CNAME');
      return values.map(zoneName);
    case 'TXT':
      for (const v of values) {
        if (Buffer.byteLength(v) > 255) throw new RangeError('a TXT string is at most 255 bytes');
      }
      return [...values];
  }
}
