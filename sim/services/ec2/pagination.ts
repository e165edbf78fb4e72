import { AwsError } from '../../core/errors.js';
import { optInt, optString, type Params } from './params.js';

export interface PageLimits {
  action: string;
  min: number;
  max: number;
  /** The ids list parameter MaxResults cannot be combined with, where AWS documents that rule. */
  exclusiveWithIds?: { wireName: string; given: boolean };
}

/** Whether the request asked for a page (MaxResults or NextToken), which also picks its throttle bucket. */
export function isPaginated(params: Params): boolean {
  return params.MaxResults !== undefined || params.NextToken !== undefined;
}

export interface PageRequest {
  action: string;
  maxResults?: number;
  /** Creation sequence of the last item already served. */
  after?: number;
}

/** Validates MaxResults / NextToken before anything is looked up, as EC2 checks parameters first. */
export function pageRequest(params: Params, limits: PageLimits): PageRequest {
  const maxResults = optInt(params, 'MaxResults');
  const token = optString(params, 'NextToken');
  if (maxResults !== undefined && limits.exclusiveWithIds?.given) {
    throw new AwsError(
      'InvalidParameterCombination',
      `The parameter ${limits.exclusiveWithIds.wireName} cannot be used with the parameter maxResults`,
    );
  }
  if (maxResults !== undefined && (maxResults < limits.min || maxResults > limits.max)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  }
  return {
    action: limits.action,
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(token !== undefined ? { after: decodeToken(token, limits.action) } : {}),
  };
}

/**
 * One page of items kept in creation order. The token names the last item served, so resources
 * created or deleted between pages neither repeat nor shift the next page.
 */
export function takePage<T extends { seq: number }>(
  items: T[],
  request: PageRequest,
): { page: T[]; nextToken?: string } {
  const sorted = [...items].sort((a, b) => a.seq - b.seq);
  const after = request.after;
  const start = after === undefined ? 0 : sorted.filter((item) => item.seq <= after).length;
  if (request.maxResults === undefined) return { page: sorted.slice(start) };
  const page = sorted.slice(start, start + request.maxResults);
  const last = page.at(-1);
  return start + request.maxResults < sorted.length && last
    ? { page, nextToken: encodeToken(request.action, last.seq) }
    : { page };
}

export function paginate<T extends { seq: number }>(
  items: T[],
  params: Params,
  limits: PageLimits,
): { page: T[]; nextToken?: string } {
  return takePage(items, pageRequest(params, limits));
}

function encodeToken(action: string, seq: number): string {
  return Buffer.from(JSON.stringify({ a: action, s: seq }), 'utf8').toString('base64url');
}

function decodeToken(token: string, action: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown; s?: unknown };
    if (decoded.a === action && typeof decoded.s === 'number' && Number.isInteger(decoded.s)) return decoded.s;
  } catch {
    // falls through to the error below
  }
  throw new AwsError('InvalidNextToken', `The token '${token}' is invalid.`);
}
