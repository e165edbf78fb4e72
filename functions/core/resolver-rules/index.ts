/** The resolver-rule reconciler's pure core: configuration, plan, next history and verification. */
export {
  DEFAULT_GRACE_PERIOD_SECONDS,
  DEFAULT_MAX_CHANGES_PER_RUN,
  parseResolverConfig,
  parseResolverEnvironment,
  parseStoredNames,
  RESOLVER_ENV,
  type ResolverTuning,
  STORED_NAMES_SOURCE,
  type StoredResolverNames,
  TUNING_ENV,
  withStoredNames,
} from './config.js';
export { domainNameProblem, normaliseDomainName } from './domain-names.js';
export { ConfigurationError } from './errors.js';
export {
  creatorRequestId,
  DOMAIN_TAG_KEY,
  GROUP_TAG_KEY,
  isManagedByGroup,
  MANAGED_TAG_KEY,
  managedRuleTags,
  RULE_NAME_MAX_LENGTH,
  ruleName,
} from './identity.js';
export { planResolverRules } from './plan.js';
export {
  describeResolution,
  LISTED_RESOLUTIONS,
  listedResolutions,
  nameResolution,
  nameResolutions,
} from './resolutions.js';
export {
  canonicalIp,
  canonicalTargets,
  DEFAULT_DNS_PORT,
  parseTargetAddress,
  sameTargets,
  targetKey,
} from './target-addresses.js';
export type * from './types.js';
export { verifyRules } from './verify.js';
