import { AwsError } from '../../core/errors.js';
import { paginate } from './listing.js';
import type { ResolverRule, Stored, StoredEndpoint } from './model.js';
import { type Ctx, type Params, type ResolverStore, tagsOf } from './store.js';
import { invalidParameter, MAX_TAGS, requiredString, stringList, tagList } from './validation.js';

/** The rule or endpoint a tagging call names by ARN, in the request's region. */
function tagged(store: ResolverStore, p: Params, ctx: Ctx): Stored<ResolverRule> | StoredEndpoint {
  const arn = requiredString(p, 'ResourceArn');
  const found = [...store.rules.values(), ...store.endpoints.values()].find(
    (s) => s.item.Arn === arn && s.region === ctx.region,
  );
  if (!found) throw new AwsError('ResourceNotFoundException', `Resolver resource with ARN '${arn}' does not exist.`);
  return found;
}

export function tagResource(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const stored = tagged(store, p, ctx);
  const tags = tagList(p.Tags);
  if (tags.length === 0) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
    );
  }
  const merged = new Map(stored.tags);
  for (const tag of tags) merged.set(tag.Key, tag.Value);
  if (merged.size > MAX_TAGS) {
    throw new AwsError('LimitExceededException', `A resource can have at most ${MAX_TAGS} tags.`);
  }
  stored.tags = merged;
  return {};
}

export function untagResource(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const stored = tagged(store, p, ctx);
  for (const key of stringList(p, 'TagKeys')) stored.tags.delete(key);
  return {};
}

export function listTags(store: ResolverStore, p: Params, ctx: Ctx): unknown {
  const stored = tagged(store, p, ctx);
  const tags = tagsOf(stored).map((tag, seq) => ({ seq, tag }));
  const page = paginate(tags, p, `tags:${stored.item.Arn}`);
  return { Tags: page.items.map((t) => t.tag), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}
