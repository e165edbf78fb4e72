export type {
  EndpointDirection,
  ResolverEndpoint,
  ResolverRule,
  ResolverRuleAssociation,
  RuleType,
  Tag,
  TargetAddress,
} from './model.js';
export { RESOLVER_LIMITS, ResolverService, type ResolverServiceOptions } from './service.js';
