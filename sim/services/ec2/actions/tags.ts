import { AwsError } from '../../../core/errors.js';
import { type Ec2Action, ok } from '../describe.js';
import { applyFilters, parseFilters } from '../filters.js';
import { paginate } from '../pagination.js';
import { missing, stringList, tagList } from '../params.js';

/** CreateTags, DeleteTags, DescribeTags over every taggable resource kind. */

const MAX_TAGS_PER_RESOURCE = 50;

export const tagActions: Record<string, Ec2Action> = {
  CreateTags: (world, params) => {
    const resourceIds = stringList(params, 'ResourceId');
    if (resourceIds.length === 0) throw missing('ResourceId');
    const tags = tagList(params, 'Tag');
    if (tags.length === 0) throw missing('Tag');
    const targets = resourceIds.map((id) => world.taggable(id));
    for (const target of targets) {
      const keys = new Set([...target.tags.keys(), ...tags.map((t) => t.key)]);
      if (keys.size > MAX_TAGS_PER_RESOURCE) {
        throw new AwsError(
          'TagLimitExceeded',
          `The maximum number of tags (${MAX_TAGS_PER_RESOURCE}) has been exceeded.`,
        );
      }
    }
    for (const target of targets) for (const { key, value } of tags) target.tags.set(key, value ?? '');
    return ok;
  },

  DeleteTags: (world, params) => {
    const resourceIds = stringList(params, 'ResourceId');
    if (resourceIds.length === 0) throw missing('ResourceId');
    const tags = tagList(params, 'Tag', false);
    const targets = resourceIds.map((id) => world.taggable(id));
    for (const target of targets) {
      // No Tag list deletes every tag; a tag given with a value is deleted only when the value matches.
      if (tags.length === 0) target.tags.clear();
      for (const { key, value } of tags) {
        if (value === undefined || target.tags.get(key) === value) target.tags.delete(key);
      }
    }
    return ok;
  },

  DescribeTags: (world, params) => {
    const rows = world.allTaggables().flatMap((r) =>
      [...r.tags].map(([key, value], n) => ({
        resourceId: r.resourceId,
        resourceType: r.resourceType,
        key,
        value,
        // A stable order: by resource creation, then tag order.
        seq: r.seq * 1000 + n,
        tags: r.tags,
      })),
    );
    const filtered = applyFilters(rows, parseFilters(params), {
      key: (r) => [r.key],
      value: (r) => [r.value],
      'resource-id': (r) => [r.resourceId],
      'resource-type': (r) => [r.resourceType],
    });
    const { page, nextToken } = paginate(filtered, params, { action: 'DescribeTags', min: 5, max: 1000 });
    return {
      tagSet: page.map((r) => ({ resourceId: r.resourceId, resourceType: r.resourceType, key: r.key, value: r.value })),
      nextToken,
    };
  },
};
