import { createHash } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import { invalidParameter } from './validation.js';

/** How one filter Name matches an item against one of the filter's Values. */
export type FilterMatcher<T> = (item: T, value: string) => boolean;

/**
 * Filter names compared the way Resolver accepts them: the documented CamelCase names and the
 * early UPPER_SNAKE ones (CreatorRequestId or CREATOR_REQUEST_ID) are the same filter.
 */
function filterKey(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/** Keeps the items matching every filter (AND), each filter matching any of its Values (OR). */
export function applyFilters<T>(items: T[], filters: unknown, matchers: Record<string, FilterMatcher<T>>): T[] {
  if (filters === undefined) return items;
  if (!Array.isArray(filters)) throw invalidParameter('Filters must be a list');
  const table = new Map(Object.entries(matchers).map(([name, match]) => [filterKey(name), match]));
  let kept = items;
  for (const raw of filters) {
    const filter = (raw ?? {}) as { Name?: unknown; Values?: unknown };
    const match = typeof filter.Name === 'string' ? table.get(filterKey(filter.Name)) : undefined;
    // AWS's answer to an unknown filter name is not documented; refusing it keeps typos visible.
    if (!match) throw invalidParameter(`Invalid filter name: ${String(filter.Name)}`);
    const values = filter.Values;
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
      throw invalidParameter(`Filter ${filter.Name} needs at least one string value`);
    }
    kept = kept.filter((item) => values.some((value: string) => match(item, value)));
  }
  return kept;
}

export interface Page<T> {
  items: T[];
  maxResults: number;
  nextToken?: string;
}

const DEFAULT_MAX_RESULTS = 100;

/**
 * One page of items in creation order. NextToken names the creation sequence number of the next
 * item, the list it belongs to and the filters it was asked with: the API reference asks for the same
 * Filters with every NextToken of a listing. AWS's answer to other filters is not documented; the sim
 * refuses the token (InvalidNextTokenException), so a caller that changes them mid-listing is seen.
 */
export function paginate<T extends { seq: number }>(
  items: T[],
  params: { MaxResults?: unknown; NextToken?: unknown; Filters?: unknown },
  list: string,
): Page<T> {
  const maxResults = params.MaxResults ?? DEFAULT_MAX_RESULTS;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw invalidParameter(
      `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  const filters = filtersDigest(params.Filters);
  const sorted = [...items].sort((a, b) => a.seq - b.seq);
  const from = params.NextToken === undefined ? Number.NEGATIVE_INFINITY : decodeToken(params.NextToken, list, filters);
  const rest = sorted.filter((item) => item.seq >= from);
  const page = rest.slice(0, maxResults);
  const next = rest[maxResults];
  return { items: page, maxResults, ...(next ? { nextToken: encodeToken(list, next.seq, filters) } : {}) };
}

/** The filters as asked, in a short stable form; filter names compared as applyFilters compares them. */
function filtersDigest(filters: unknown): string {
  const normal = Array.isArray(filters)
    ? filters.map((f) => {
        const { Name, Values } = (f ?? {}) as { Name?: unknown; Values?: unknown };
        return [typeof Name === 'string' ? filterKey(Name) : Name, Values];
      })
    : [];
  return createHash('sha256').update(JSON.stringify(normal)).digest('base64url').slice(0, 16);
}

function encodeToken(list: string, seq: number, filters: string): string {
  return Buffer.from(JSON.stringify({ list, seq, filters })).toString('base64url');
}

function decodeToken(token: unknown, list: string, filters: string): number {
  let parsed: { list?: unknown; seq?: unknown; filters?: unknown } = {};
  try {
    parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8'));
  } catch {
    // falls through to the error below
  }
  if (parsed.list === list && typeof parsed.seq === 'number' && Number.isInteger(parsed.seq)) {
    if (parsed.filters === filters) return parsed.seq;
    throw new AwsError(
      'InvalidNextTokenException',
      'The NextToken was given with other Filters than the request that returned it: use the same Filters.',
    );
  }
  throw new AwsError('InvalidNextTokenException', `The value for NextToken is invalid: ${String(token)}`);
}
