import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import { EMPTY_PROBE_RECORD, type NameProbe, type ProbeRecord } from '../core/reachability/index.js';
import { groupKey, isConditionFailure } from './lease.js';

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
    try {
      const { Item } = await documentClient().send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: groupKey(this.group), sk: SORT_KEY },
          ConsistentRead: true,
        }),
      );
      if (!Item) return { ...EMPTY_PROBE_RECORD, lastResults: [] };
      return {
        names: (Item.names as ProbeRecord['names'] | undefined) ?? {},
        lastRunAt: (Item.lastRunAt as string | undefined) ?? null,
        resolverWokenAt: (Item.resolverWokenAt as string | undefined) ?? null,
        revision: Number(Item.revision ?? 0),
        lastResults: (Item.lastResults as NameProbe[] | undefined) ?? [],
      };
    } catch (err) {
      return classifyAwsError(err, `reading the reachability record of group ${this.group}`);
    }
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
}
