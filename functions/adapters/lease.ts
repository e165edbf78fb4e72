import { GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError, LeaseHeldError, LeaseLostError } from '../commons/errors.js';

/** The partition of a gateway group in the state table. */
export const groupKey = (group: string) => `group#${group}`;
export const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** One item of a group, read consistently (it may have just been written by another state); undefined when absent. */
export async function readGroupItem(
  tableName: string,
  group: string,
  sortKey: string,
  doing: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: tableName, Key: { pk: groupKey(group), sk: sortKey }, ConsistentRead: true }),
    );
    return Item;
  } catch (err) {
    return classifyAwsError(err, doing);
  }
}

export function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/**
 * One writer per group (promise 7 in docs/design.md): a lease on one item of the state table, taken with a
 * conditional write that also returns the item, and given back in the same write that stores what
 * the run decided. `what` names the lease in errors ("group vendor-vpn", "resolver rules of ...").
 */
export class ItemLease {
  constructor(
    private readonly tableName: string,
    private readonly group: string,
    private readonly sortKey: string,
    private readonly what: string,
  ) {}

  private get key() {
    return { pk: groupKey(this.group), sk: this.sortKey };
  }

  /**
   * One conditional update of the lease's item, returning its attributes as ReturnValues asks.
   * `onConditionFailure` says what a failed condition means (throw, or nothing to do); any other
   * error is classified for the ASL's Retry, naming what was being done.
   */
  private async update(
    input: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
    doing: string,
    onConditionFailure: () => void,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const { Attributes } = await documentClient().send(
        new UpdateCommand({ TableName: this.tableName, Key: this.key, ...input }),
      );
      return Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) return classifyAwsError(err, doing);
      onConditionFailure();
      return undefined;
    }
  }

  /** Takes (or renews) the lease until now + seconds; the item as it is then; LeaseHeldError when another live owner holds it. */
  acquire(owner: string, now: string, seconds: number): Promise<Record<string, unknown> | undefined> {
    return this.update(
      {
        UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(leaseOwner) OR leaseExpiresAt < :now OR leaseOwner = :owner',
        ExpressionAttributeValues: {
          ':owner': owner,
          ':expires': epochSeconds(now) + seconds,
          ':now': epochSeconds(now),
        },
        ReturnValues: 'ALL_NEW',
      },
      `taking the lease of the ${this.what}`,
      () => {
        throw new LeaseHeldError(`another execution is changing the ${this.what}`);
      },
    );
  }

  /**
   * The fencing check before a write: confirms `owner` still holds the lease and extends it to
   * now + seconds, in one conditional write; LeaseLostError when another owner took it or it was
   * given back. A lease past its expiry that nobody took is still this owner's: only a conditional
   * write that changes the owner lets another run in, so nobody else has written since. `seconds`
   * must outlast the write that follows (the function's timeout bounds it).
   */
  async hold(owner: string, now: string, seconds: number): Promise<void> {
    await this.update(
      {
        UpdateExpression: 'SET leaseExpiresAt = :expires',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner, ':expires': epochSeconds(now) + seconds },
      },
      `confirming the lease of the ${this.what}`,
      () => {
        throw new LeaseLostError(`the lease of the ${this.what} was taken by another execution: not writing`);
      },
    );
  }

  /** The item without taking the lease (a dry run). */
  async read(): Promise<Record<string, unknown> | undefined> {
    try {
      return (await documentClient().send(new GetCommand({ TableName: this.tableName, Key: this.key }))).Item;
    } catch (err) {
      return classifyAwsError(err, `reading the ${this.what}`);
    }
  }

  /** Sets `fields` (plain attribute names) and updatedAt, and gives the lease back, in one write conditional on still holding it. */
  async saveAndRelease(owner: string, now: string, fields: Record<string, unknown>): Promise<void> {
    const names = Object.keys(fields);
    await this.update(
      {
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt`,
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n) => [`:${n}`, fields[n]])),
          ':now': now,
          ':owner': owner,
        },
      },
      `saving the ${this.what}`,
      () => {
        throw new LeaseHeldError(`the lease of the ${this.what} expired before the run was saved`);
      },
    );
  }

  /** Gives the lease back without changing the item (failure path); a lease already gone is fine. */
  async release(owner: string): Promise<void> {
    await this.update(
      {
        UpdateExpression: 'REMOVE leaseOwner, leaseExpiresAt',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      },
      `releasing the lease of the ${this.what}`,
      () => {},
    );
  }
}

/** What a run's last write did: whether the record now holds the run's decision, and why not. */
export interface FinalWrite {
  saved: boolean;
  error?: string;
  /** Another run holds the lease: this run's record was not stored. */
  leaseLost: boolean;
}

/**
 * A run's last write: stores its record and releases the lease (`keep`), or only releases it. Losing the
 * lease is an outcome, not an error; on the failure path any error is reported rather than thrown again,
 * so the run still lists what it applied.
 */
export async function finishRun(
  keep: boolean,
  write: { save: () => Promise<void>; release: () => Promise<void> },
  onFailurePath: boolean,
): Promise<FinalWrite> {
  try {
    await (keep ? write.save() : write.release());
    return { saved: keep, leaseLost: false };
  } catch (err) {
    if (err instanceof LeaseHeldError) return { saved: false, error: err.message, leaseLost: true };
    if (onFailurePath) return { saved: false, error: (err as Error).message, leaseLost: false };
    throw err;
  }
}
