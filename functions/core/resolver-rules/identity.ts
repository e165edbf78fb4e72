import { createHash } from 'node:crypto';
import { targetKey } from './target-addresses.js';
import type { ResolverRuleAction, ResourceTag, TargetAddress } from './types.js';

/** Tags that mark a resolver rule as managed by one gateway group. */
export const MANAGED_TAG_KEY = 'cgw-autopilot:managed';
export const GROUP_TAG_KEY = 'cgw-autopilot:group';
export const DOMAIN_TAG_KEY = 'cgw-autopilot:domain';

/** Route 53 Resolver rule Name: at most 64 of letters, digits, '-', '_' and spaces, not only digits. */
export const RULE_NAME_MAX_LENGTH = 64;
const NAME_PREFIX = 'cgwap';
const GROUP_IN_NAME_MAX_LENGTH = 16;
const HASH_IN_NAME_LENGTH = 8;

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * The stable Name of the group's rule for a domain, e.g. `cgwap-prod-db-x-eu-west-2-rds-amazo-1a2b3c4d`:
 * readable head, and a hash of the full group and domain so that truncation never makes two names equal.
 */
export function ruleName(groupName: string, domainName: string): string {
  const group = groupName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, GROUP_IN_NAME_MAX_LENGTH);
  const hash = digest([groupName, domainName]).slice(0, HASH_IN_NAME_LENGTH);
  const room = RULE_NAME_MAX_LENGTH - NAME_PREFIX.length - group.length - hash.length - 3;
  const domain = domainName
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, room)
    .replace(/-+$/, '');
  return [NAME_PREFIX, group, domain, hash].filter((part) => part !== '').join('-');
}

/** A CreatorRequestId derived from everything the rule is created with, so a retried create is not doubled. */
export function creatorRequestId(
  groupName: string,
  domainName: string,
  resolverEndpointId: string,
  targetIps: readonly TargetAddress[],
): string {
  return `cgw-autopilot-${digest([groupName, domainName, resolverEndpointId, ...targetIps.map(targetKey)]).slice(0, 40)}`;
}

/** The tags a managed rule is created with. */
export function managedRuleTags(groupName: string, domainName: string): ResourceTag[] {
  return [
    { key: MANAGED_TAG_KEY, value: 'true' },
    { key: GROUP_TAG_KEY, value: groupName },
    { key: DOMAIN_TAG_KEY, value: domainName },
  ];
}

/** True when a rule's tags mark it as managed by this group: what the observing adapter sets `managed` from. */
export function isManagedByGroup(tags: readonly ResourceTag[], groupName: string): boolean {
  const value = (key: string) => tags.find((tag) => tag.key === key)?.value;
  return value(MANAGED_TAG_KEY) === 'true' && value(GROUP_TAG_KEY) === groupName;
}

/** A deterministic id for an action: its kind and a hash of what it acts on. */
export function actionId(kind: ResolverRuleAction['kind'], ...subject: string[]): string {
  return `${kind}-${digest([kind, ...subject]).slice(0, 16)}`;
}
