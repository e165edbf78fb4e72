import { AwsError } from '../../core/errors.js';
import type { Tags } from './model.js';
import { optString, type Params, stringList, structList } from './params.js';

export interface Filter {
  name: string;
  values: string[];
}

/**
 * What a filter name reads from a resource: every value it has for that name (a route table has
 * one `route.state` per route). The filter matches when any value matches any filter value.
 */
export type FilterFields<T> = Record<string, (resource: T) => (string | undefined)[]>;

export function parseFilters(params: Params): Filter[] {
  return structList(params, 'Filter').map((filter) => {
    const name = optString(filter, 'Name');
    if (!name) throw new AwsError('InvalidParameterValue', 'The filter name must not be empty');
    return { name, values: stringList(filter, 'Value') };
  });
}

const patternCache = new Map<string, RegExp>();

/** EC2 filter values: `*` matches any run of characters, `?` one character, `\` escapes either. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '\\' && i + 1 < pattern.length) source += escapeRegex(pattern[++i]!);
      else if (c === '*') source += '[\\s\\S]*';
      else if (c === '?') source += '[\\s\\S]';
      else source += escapeRegex(c);
    }
    regex = new RegExp(`^${source}$`);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, regex);
  }
  return regex.test(value);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Filter fields every taggable resource answers: tag:KEY, tag-key, tag-value. */
function tagField(name: string, tags: Tags): (string | undefined)[] | undefined {
  if (name.startsWith('tag:')) {
    const value = tags.get(name.slice(4));
    return value === undefined ? [] : [value];
  }
  if (name === 'tag-key') return [...tags.keys()];
  if (name === 'tag-value') return [...tags.values()];
  return undefined;
}

/** Keeps the resources every filter matches; an unknown filter name fails as EC2 does. */
export function applyFilters<T extends { tags: Tags }>(items: T[], filters: Filter[], fields: FilterFields<T>): T[] {
  for (const filter of filters) {
    if (!Object.hasOwn(fields, filter.name) && !/^tag(:.+|-key|-value)$/.test(filter.name)) {
      throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    }
  }
  return items.filter((item) =>
    filters.every((filter) => {
      const read = Object.hasOwn(fields, filter.name) ? fields[filter.name] : undefined;
      const values = read ? read(item) : (tagField(filter.name, item.tags) ?? []);
      return values.some((v) => v !== undefined && filter.values.some((pattern) => wildcardMatch(pattern, v)));
    }),
  );
}
