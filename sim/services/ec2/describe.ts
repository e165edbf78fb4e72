import type { RequestContext } from '../../core/service.js';
import { applyFilters, type FilterFields, parseFilters } from './filters.js';
import type { Tags } from './model.js';
import { pageRequest, takePage } from './pagination.js';
import { type Params, stringList } from './params.js';
import type { Ec2World, LookupKind } from './world.js';

/** An action handler: validated params in, EC2 wire-shaped result out. */
export type Ec2Action = (world: Ec2World, params: Params, ctx: RequestContext) => unknown;

export interface DescribeSpec<T> {
  action: string;
  kind: LookupKind;
  /** The `Xxx.N` ids parameter (RouteTableId, InstanceId, ...). */
  idsParam: string;
  all: T[];
  fields: FilterFields<T>;
  /** MaxResults bounds the API reference gives; absent where the action does not paginate. */
  page?: { min: number; max: number; exclusiveWithIds?: string };
}

/** The shared shape of every Describe action: ids (all must exist), then filters, then a page. */
export function describe<T extends { tags: Tags; seq: number }>(
  world: Ec2World,
  params: Params,
  spec: DescribeSpec<T>,
): { items: T[]; nextToken?: string } {
  const ids = [...new Set(stringList(params, spec.idsParam))];
  const filters = parseFilters(params);
  const request = spec.page
    ? pageRequest(params, {
        action: spec.action,
        min: spec.page.min,
        max: spec.page.max,
        ...(spec.page.exclusiveWithIds
          ? { exclusiveWithIds: { wireName: spec.page.exclusiveWithIds, given: ids.length > 0 } }
          : {}),
      })
    : { action: spec.action };
  const selected = ids.length ? new Set(world.many(spec.kind, ids) as unknown[]) : undefined;
  const candidates = selected ? spec.all.filter((item) => selected.has(item)) : spec.all;
  const { page, nextToken } = takePage(applyFilters(candidates, filters, spec.fields), request);
  return nextToken ? { items: page, nextToken } : { items: page };
}

export const ok = { return: true };
