import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../commons/clients.js';
import { classifyAwsError } from '../commons/errors.js';
import type { ResolverNameHistory, StoredResolverNames } from '../core/resolver-rules/index.js';
import { epochSeconds, groupKey, ItemLease, readGroupItem } from './lease.js';

// The resolver reconciler's items in the state table, beside the route reconciler's (pk group#<name>):
// sk `resolver-state` holds its lease and the names' history (a lease distinct from the routes' one),
// sk `resolver-run#<execution>` one run's plan and outcomes. A run record is stored gzipped outside the
// execution's JSON: 200 tracked names make a plan far larger than Step Functions' 256 KiB payload.
// A part whose packed text passes CHUNK_CHARS (1,000 names make a plan of more than DynamoDB's 400 KB
// per item, gzipped) is split: the run item holds `chunks:<n>:` and the first piece, and the items
// `resolver-run#<execution>#<part>#<i>` (i = 1 .. n-1) hold the rest, written before the run item.

const pk = groupKey;
const STATE_KEY = 'resolver-state';
/** Names and domains beyond the template's parameters (core/resolver-rules/config.ts, STORED_NAMES_SOURCE). */
export const STORED_NAMES_KEY = 'resolver-config';
const runKey = (executionId: string) => `resolver-run#${executionId.split(':').pop()}`;
const chunkKey = (executionId: string, part: string, index: number) => `${runKey(executionId)}#${part}#${index}`;
/** Packed characters per item: below DynamoDB's 400 KB item size with the keys and attributes beside them. */
export const CHUNK_CHARS = 350_000;
const CHUNKED = /^chunks:(\d+):/;
const EMPTY_HISTORY: ResolverNameHistory = { lastSeenAt: {}, lastKnownChains: {} };

function pack(value: unknown): string {
  return gzipSync(JSON.stringify(value)).toString('base64');
}

function unpack<T>(text: string): T {
  return JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as T;
}

/** The packed text in pieces of at most CHUNK_CHARS; the first marked with the count when there are more. */
export function splitPacked(packed: string, chunkChars = CHUNK_CHARS): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < packed.length || pieces.length === 0; at += chunkChars)
    pieces.push(packed.slice(at, at + chunkChars));
  if (pieces.length > 1) pieces[0] = `chunks:${pieces.length}:${pieces[0]}`;
  return pieces;
}

/**
 * The history as stored: packed (gzip, base64) since 2,000 names of depth 3 make more than DynamoDB's
 * 400 KB per item as a map; a map written by an earlier version is still read.
 */
function historyOf(item: Record<string, unknown> | undefined): ResolverNameHistory {
  const stored = item?.history;
  const history = (typeof stored === 'string' ? unpack(stored) : stored) as ResolverNameHistory | undefined;
  return { lastSeenAt: history?.lastSeenAt ?? {}, lastKnownChains: history?.lastKnownChains ?? {} };
}

export class ResolverStateStore {
  constructor(
    readonly tableName: string,
    readonly group: string,
  ) {
    this.lease = new ItemLease(tableName, group, STATE_KEY, `resolver rules of group ${group}`);
  }

  private readonly lease: ItemLease;

  /** Takes (or renews) the resolver lease and returns the history read with it; LeaseHeldError when busy. */
  async acquireLease(owner: string, now: string, seconds: number): Promise<ResolverNameHistory> {
    return historyOf(await this.lease.acquire(owner, now, seconds));
  }

  /** Fencing before a write: LeaseLostError unless `owner` still holds the resolver lease, which then runs until now + seconds. */
  async holdLease(owner: string, now: string, seconds: number): Promise<void> {
    await this.lease.hold(owner, now, seconds);
  }

  /** The history without the lease (a dry run). */
  async readHistory(): Promise<ResolverNameHistory> {
    const item = await this.lease.read();
    return item ? historyOf(item) : EMPTY_HISTORY;
  }

  /** Stores the next history and gives the lease back in one conditional write. */
  async saveHistoryAndRelease(history: ResolverNameHistory, owner: string, now: string): Promise<void> {
    await this.lease.saveAndRelease(owner, now, { history: pack(history) });
  }

  /** Gives the lease back without touching the history; a lease already gone is fine. */
  async releaseLease(owner: string): Promise<void> {
    await this.lease.release(owner);
  }

  /** The names and domains stored for the group, as written (validated by the core); none when absent. */
  async readStoredNames(): Promise<StoredResolverNames | undefined> {
    const item = await readGroupItem(this.tableName, this.group, STORED_NAMES_KEY, 'reading the stored resolver names');
    return item ? { trackedNames: item.trackedNames, staticDomains: item.staticDomains } : undefined;
  }

  /** Replaces the stored names and domains (already validated by the caller). */
  async writeStoredNames(names: { trackedNames: string[]; staticDomains: string[] }, now: string): Promise<void> {
    await documentClient().send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(this.group), sk: STORED_NAMES_KEY, ...names, updatedAt: now },
      }),
    );
  }

  /** Stores one part (`plan`, `outcomes`) of a run's record; kept `keepSeconds` for the audit. */
  async putRunPart(executionId: string, part: 'plan' | 'outcomes', value: unknown, now: string, keepSeconds: number) {
    const expiresAt = epochSeconds(now) + keepSeconds;
    const [first, ...rest] = splitPacked(pack(value));
    try {
      // The other pieces first: a reader that finds the run item's count finds every piece it names.
      await Promise.all(
        rest.map((piece, i) =>
          documentClient().send(
            new PutCommand({
              TableName: this.tableName,
              Item: { pk: pk(this.group), sk: chunkKey(executionId, part, i + 1), piece, expiresAt },
            }),
          ),
        ),
      );
      await documentClient().send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: runKey(executionId) },
          UpdateExpression: 'SET #part = :value, updatedAt = :now, expiresAt = :expires',
          ExpressionAttributeNames: { '#part': part },
          ExpressionAttributeValues: { ':value': first, ':now': now, ':expires': expiresAt },
        }),
      );
    } catch (err) {
      classifyAwsError(err, `storing the ${part} of run ${executionId}`);
    }
  }

  async getRun<P, O>(executionId: string): Promise<{ plan?: P; outcomes?: O }> {
    try {
      const { Item } = await documentClient().send(
        // Consistent: the run item was written by the state just before this one.
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: pk(this.group), sk: runKey(executionId) },
          ConsistentRead: true,
        }),
      );
      const [plan, outcomes] = await Promise.all([
        this.readPart<P>(executionId, 'plan', Item?.plan),
        this.readPart<O>(executionId, 'outcomes', Item?.outcomes),
      ]);
      return { ...(plan === undefined ? {} : { plan }), ...(outcomes === undefined ? {} : { outcomes }) };
    } catch (err) {
      return classifyAwsError(err, `reading run ${executionId}`);
    }
  }

  /** One part's value from the run item's text and, when it was split, the other pieces' items. */
  private async readPart<T>(executionId: string, part: string, text: unknown): Promise<T | undefined> {
    if (typeof text !== 'string') return undefined;
    const chunked = CHUNKED.exec(text);
    if (!chunked) return unpack<T>(text);
    const count = Number(chunked[1]);
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, async (_, i) => {
        const { Item } = await documentClient().send(
          new GetCommand({
            TableName: this.tableName,
            Key: { pk: pk(this.group), sk: chunkKey(executionId, part, i + 1) },
            ConsistentRead: true,
          }),
        );
        if (typeof Item?.piece !== 'string') {
          throw new Error(`piece ${i + 1} of ${count} of the ${part} of run ${executionId} is missing`);
        }
        return Item.piece;
      }),
    );
    return unpack<T>(text.slice(chunked[0].length) + rest.join(''));
  }
}
