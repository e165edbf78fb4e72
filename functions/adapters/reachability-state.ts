import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import {
  EMPTY_PROBE_RECORD,
  type NameProbe,
  nextProbeRecord,
  type ProbeRecord,
  type VerdictChange,
} from '../core/reachability/index.js';
import { groupKey, isConditionFailure, readGroupItem } from './lease.js';

// The probe's item in the state table, beside the reconcilers' (pk group#<name>): sk `reachability`
// holds every name's current verdict, since when, and the last run's results for the CLI to show.
const SORT_KEY = 'reachability';

export interface StoredProbeRecord extends ProbeRecord {
  /** The last run's per-name results (verdicts, addresses, latencies). */
  lastResults: NameProbe[];
}

export class ReachabilityStore {
  constructor(
    readonly tableName: string,
    readonly group: string,
  ) {}

  async read(): Promise<StoredProbeRecord> {
    const item = await readGroupItem(
      this.tableName,
      this.group,
      SORT_KEY,
      `reading the reachability record of group ${this.group}`,
    );
    if (!item) return { ...EMPTY_PROBE_RECORD, lastResults: [] };
    return {
      names: (item.names as ProbeRecord['names'] | undefined) ?? {},
      lastRunAt: (item.lastRunAt as string | undefined) ?? null,
      resolverWokenAt: (item.resolverWokenAt as string | undefined) ?? null,
      revision: Number(item.revision ?? 0),
      lastResults: (item.lastResults as NameProbe[] | undefined) ?? [],
    };
  }

  /**
   * Writes the record if nobody wrote since `previousRevision` was read; false when another run did
   * (that run has reported the change, so this one must read again rather than report it twice).
   */
  async write(record: StoredProbeRecord, previousRevision: number): Promise<boolean> {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: groupKey(this.group), sk: SORT_KEY, ...record },
          ConditionExpression: previousRevision === 0 ? 'attribute_not_exists(sk)' : 'revision = :previous',
          ...(previousRevision === 0 ? {} : { ExpressionAttributeValues: { ':previous': previousRevision } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      return classifyAwsError(err, `storing the reachability record of group ${this.group}`);
    }
  }

  /**
   * Stores a run's record unless another run wrote first; then the changes are computed again from that
   * run's record. A run overtaken by a later-started one stores nothing and reports no change.
   */
  async record(
    probes: NameProbe[],
    now: string,
  ): Promise<{ stored: StoredProbeRecord; changes: VerdictChange[]; stale: boolean }> {
    // This loop owns one failure class: a conditional write lost to another probe run (optimistic
    // concurrency), retried by reading again and computing anew. AWS faults are the SDK's attempts'; what
    // outlasts them fails the invocation, which Lambda's asynchronous invocation retries (the schedule and
    // the rules invoke the probe asynchronously: by default two more tries, Lambda docs "Error handling and
    // automatic retries in Lambda"), and the next scheduled run catches up in any case.
    for (let attempt = 0; ; attempt++) {
      const previous = await this.read();
      const { record: next, changes, stale } = nextProbeRecord(previous, probes, now);
      if (stale) return { stored: previous, changes, stale };
      const stored = { ...next, lastResults: probes };
      if (await this.write(stored, previous.revision)) return { stored, changes, stale };
      if (attempt >= 4) throw new Error('the reachability record kept changing under this run');
    }
  }
}
