import { setTimeout as sleep } from 'node:timers/promises';
import {
  AssociateResolverRuleCommand,
  CreateResolverRuleCommand,
  DeleteResolverRuleCommand,
  DisassociateResolverRuleCommand,
  ListResolverRuleAssociationsCommand,
  ListResolverRulesCommand,
  paginateListResolverRuleAssociations,
  paginateListResolverRules,
  paginateListTagsForResource,
  type ResolverRule,
  type ResolverRuleAssociation,
  type Route53ResolverClient,
  type TargetAddress as SdkTargetAddress,
  UpdateResolverRuleCommand,
} from '@aws-sdk/client-route53resolver';
import { resolverClient } from '../commons/clients.js';
import { mapLimit } from '../commons/concurrency.js';
import { classifyAwsError, isRetryable, LeaseLostError } from '../commons/errors.js';
import type { ResolverActionOutcome } from '../commons/resolver-state.js';
import {
  canonicalIp,
  creatorRequestId,
  isManagedByGroup,
  normaliseDomainName,
  type ObservedResolverRule,
  type ObservedUnmanagedAssociation,
  type ResolverConfig,
  type ResolverRuleAction,
  ruleName,
  type TargetAddress,
} from '../core/resolver-rules/index.js';

/** The largest MaxResults ListResolverRules and ListResolverRuleAssociations accept (API reference: 1 to 100). */
const PAGE_SIZE = 100;
/** What every managed rule's Name and CreatorRequestId start with (identity.ts): only these may be ours. */
const NAME_PREFIX = 'cgwap-';
const REQUEST_ID_PREFIX = 'cgw-autopilot-';

export interface ResolverObservation {
  observedRules: ObservedResolverRule[];
  unmanagedAssociations: ObservedUnmanagedAssociation[];
  /** Route 53 Resolver calls the observation made. */
  calls: number;
}

function fromSdkTargets(targets: SdkTargetAddress[] | undefined): TargetAddress[] {
  return (targets ?? []).map((t) => {
    const ip = t.Ip ?? t.Ipv6 ?? '';
    return { ip: canonicalIp(ip) ?? ip, port: t.Port ?? 53 };
  });
}

function toSdkTargets(targets: readonly TargetAddress[]): SdkTargetAddress[] {
  return targets.map((t) => (t.ip.includes(':') ? { Ipv6: t.ip, Port: t.port } : { Ip: t.ip, Port: t.port }));
}

/**
 * True when the rule's Name and CreatorRequestId are exactly what this group creates for its domain,
 * endpoint and targets: both are derived from the group name, and a CreatorRequestId never changes
 * after creation, so such a rule was created by this group and needs no tag lookup.
 */
function createdByGroup(rule: ResolverRule, groupName: string): boolean {
  const domain = normaliseDomainName(rule.DomainName ?? '');
  return (
    rule.Name === ruleName(groupName, domain) &&
    rule.CreatorRequestId ===
      creatorRequestId(groupName, domain, rule.ResolverEndpointId ?? '', fromSdkTargets(rule.TargetIps))
  );
}

/** A rule that might be ours: a Name or CreatorRequestId of the product's shape; its tags decide. */
function mightBeOurs(rule: ResolverRule): boolean {
  return (rule.Name ?? '').startsWith(NAME_PREFIX) || (rule.CreatorRequestId ?? '').startsWith(REQUEST_ID_PREFIX);
}

/** Every page of a listing through the SDK's paginator, counting the calls; `pageSize` is MaxResults. */
async function allPages<P, T>(
  pages: AsyncIterable<P>,
  items: (page: P) => T[] | undefined,
  counter: { calls: number },
) {
  const all: T[] = [];
  for await (const page of pages) {
    counter.calls++;
    all.push(...(items(page) ?? []));
  }
  return all;
}

function listRules(client: Route53ResolverClient, counter: { calls: number }): Promise<ResolverRule[]> {
  return allPages(
    paginateListResolverRules({ client, pageSize: PAGE_SIZE }, {}),
    (page) => page.ResolverRules,
    counter,
  );
}

function listAssociations(
  client: Route53ResolverClient,
  vpcId: string,
  counter: { calls: number },
): Promise<ResolverRuleAssociation[]> {
  return allPages(
    paginateListResolverRuleAssociations(
      { client, pageSize: PAGE_SIZE },
      { Filters: [{ Name: 'VPCId', Values: [vpcId] }] },
    ),
    (page) => page.ResolverRuleAssociations,
    counter,
  );
}

async function hasGroupTags(
  client: Route53ResolverClient,
  arn: string,
  groupName: string,
  counter: { calls: number },
): Promise<boolean> {
  const tags = await allPages(
    paginateListTagsForResource({ client }, { ResourceArn: arn }),
    (page) => page.Tags,
    counter,
  );
  return isManagedByGroup(
    tags.map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
    groupName,
  );
}

/**
 * Observes every rule of the region and the associations of the configured VPCs, all paged by 100
 * and side by side, so the calls grow with pages, not names. Tags are read only for rules that look
 * like ours without being provably ours (say, after an update changed their targets). Associations
 * in other VPCs are not listed: deleting a managed rule still associated there fails and is retried.
 */
export async function observeResolverRules(
  config: ResolverConfig,
  client: Route53ResolverClient = resolverClient(),
): Promise<ResolverObservation> {
  const counter = { calls: 0 };
  try {
    const [rules, ...perVpc] = await Promise.all([
      listRules(client, counter),
      ...config.vpcIds.map((vpcId) => listAssociations(client, vpcId, counter)),
    ]);
    const candidates = rules.filter(
      (r) => r.RuleType === 'FORWARD' && !createdByGroup(r, config.groupName) && mightBeOurs(r),
    );
    const tagged = await mapLimit(candidates, 5, (r) => hasGroupTags(client, r.Arn ?? '', config.groupName, counter));
    const taggedIds = new Set(candidates.filter((_, i) => tagged[i]).map((r) => r.Id));
    const associations = perVpc.flat();
    const associationsOf = new Map<string, ResolverRuleAssociation[]>();
    for (const a of associations) {
      const id = a.ResolverRuleId ?? '';
      const list = associationsOf.get(id);
      if (list) list.push(a);
      else associationsOf.set(id, [a]);
    }
    const observedRules = rules.map(
      (r): ObservedResolverRule => ({
        id: r.Id ?? '',
        arn: r.Arn ?? '',
        name: r.Name ?? null,
        domainName: r.DomainName ?? '',
        ruleType: r.RuleType ?? '',
        targetIps: fromSdkTargets(r.TargetIps),
        resolverEndpointId: r.ResolverEndpointId ?? null,
        status: r.Status ?? '',
        managed: r.RuleType === 'FORWARD' && (createdByGroup(r, config.groupName) || taggedIds.has(r.Id)),
        associations: (associationsOf.get(r.Id ?? '') ?? []).map((a) => ({
          id: a.Id ?? '',
          vpcId: a.VPCId ?? '',
          status: a.Status ?? '',
        })),
      }),
    );
    const byId = new Map(observedRules.map((r) => [r.id, r]));
    const unmanagedAssociations = associations.flatMap((a): ObservedUnmanagedAssociation[] => {
      const rule = byId.get(a.ResolverRuleId ?? '');
      if (!rule || rule.managed) return [];
      return [
        {
          associationId: a.Id ?? '',
          ruleId: rule.id,
          domainName: rule.domainName,
          vpcId: a.VPCId ?? '',
          status: a.Status ?? '',
        },
      ];
    });
    return { observedRules, unmanagedAssociations, calls: counter.calls };
  } catch (err) {
    return classifyAwsError(err, 'observing the Route 53 Resolver rules');
  }
}

const errorName = (err: unknown) => (err as { name?: string }).name ?? 'Error';
const errorText = (err: unknown) => `${errorName(err)}: ${(err as Error).message ?? String(err)}`;

async function createRule(
  client: Route53ResolverClient,
  action: Extract<ResolverRuleAction, { kind: 'create-rule' }>,
): Promise<{ ruleId: string; detail: string }> {
  const a = action.after;
  try {
    const { ResolverRule } = await client.send(
      new CreateResolverRuleCommand({
        CreatorRequestId: a.creatorRequestId,
        Name: a.name,
        RuleType: a.ruleType,
        DomainName: a.domainName,
        TargetIps: toSdkTargets(a.targetIps),
        ResolverEndpointId: a.resolverEndpointId,
        Tags: a.tags.map((t) => ({ Key: t.key, Value: t.value })),
      }),
    );
    return { ruleId: ResolverRule?.Id ?? '', detail: `created ${ResolverRule?.Id}` };
  } catch (err) {
    // A retried create (the first answer was lost): the CreatorRequestId finds the rule it made.
    if (errorName(err) !== 'ResourceExistsException') throw err;
    const { ResolverRules } = await client.send(
      new ListResolverRulesCommand({ Filters: [{ Name: 'CreatorRequestId', Values: [a.creatorRequestId] }] }),
    );
    const id = ResolverRules?.[0]?.Id;
    if (!id) throw err;
    return { ruleId: id, detail: `already created as ${id}` };
  }
}

/**
 * True when an AssociateResolverRule error means the association is already there: a repeated call
 * (its first answer lost) is refused with InvalidRequestException "[RSLVR-00802] Cannot associate rules
 * with same domain name with same VPC", the answer users of other Resolver tooling report and moto
 * gives (not in the API reference, which declares ResourceExistsException; both are accepted). The
 * same answer also means another rule for the domain holds the VPC, so the association of this very
 * rule is looked up before the action counts as done.
 */
async function isAlreadyAssociated(
  client: Route53ResolverClient,
  err: unknown,
  ruleId: string,
  vpcId: string,
): Promise<boolean> {
  const name = errorName(err);
  const sameDomainRefusal =
    name === 'InvalidRequestException' &&
    /RSLVR-00802|same domain name with same VPC/i.test((err as Error).message ?? '');
  if (name !== 'ResourceExistsException' && !sameDomainRefusal) return false;
  const { ResolverRuleAssociations } = await client.send(
    new ListResolverRuleAssociationsCommand({
      Filters: [
        { Name: 'ResolverRuleId', Values: [ruleId] },
        { Name: 'VPCId', Values: [vpcId] },
      ],
    }),
  );
  return (ResolverRuleAssociations ?? []).some(
    (a) => a.ResolverRuleId === ruleId && a.VPCId === vpcId && a.Status !== 'DELETING' && a.Status !== 'FAILED',
  );
}

/** One action's AWS call; `ruleIds` maps create-rule action ids to the rules they made. */
async function applyOne(
  client: Route53ResolverClient,
  action: ResolverRuleAction,
  ruleIds: ReadonlyMap<string, string>,
): Promise<{ ruleId?: string; detail: string }> {
  switch (action.kind) {
    case 'create-rule':
      return createRule(client, action);
    case 'associate-rule': {
      const ruleId = action.ruleId ?? ruleIds.get(action.createActionId ?? '') ?? '';
      try {
        const { ResolverRuleAssociation } = await client.send(
          new AssociateResolverRuleCommand({ ResolverRuleId: ruleId, VPCId: action.vpcId }),
        );
        return { detail: `associated ${ruleId} with ${action.vpcId} (${ResolverRuleAssociation?.Id})` };
      } catch (err) {
        if (await isAlreadyAssociated(client, err, ruleId, action.vpcId))
          return { detail: `${ruleId} already associated with ${action.vpcId}` };
        throw err;
      }
    }
    case 'update-rule-targets':
      await client.send(
        new UpdateResolverRuleCommand({
          ResolverRuleId: action.ruleId,
          Config: {
            TargetIps: toSdkTargets(action.after.targetIps),
            ResolverEndpointId: action.after.resolverEndpointId,
          },
        }),
      );
      return {
        detail: `${action.ruleId} forwards to ${action.after.targetIps.map((t) => `${t.ip}:${t.port}`).join(', ')}`,
      };
    case 'disassociate-rule':
      try {
        await client.send(new DisassociateResolverRuleCommand({ ResolverRuleId: action.ruleId, VPCId: action.vpcId }));
        return { detail: `disassociated ${action.ruleId} from ${action.vpcId}` };
      } catch (err) {
        if (errorName(err) === 'ResourceNotFoundException')
          return { detail: `${action.ruleId} was no longer in ${action.vpcId}` };
        throw err;
      }
    case 'delete-rule':
      try {
        await client.send(new DeleteResolverRuleCommand({ ResolverRuleId: action.ruleId }));
        return { detail: `deleted ${action.ruleId} (${action.reason})` };
      } catch (err) {
        if (errorName(err) === 'ResourceNotFoundException') return { detail: `${action.ruleId} was already deleted` };
        throw err;
      }
  }
}

/** Deleting a rule whose disassociation is still going on: the one failure this adapter tries again itself. */
function isDisassociationPending(err: unknown): boolean {
  return errorName(err) === 'ResourceInUseException';
}

export interface ApplyOptions {
  concurrency: number;
  /** Tries of a delete refused while its rule's disassociation finishes (ResourceInUseException). */
  tries?: number;
  backoffMs?: number;
  client?: Route53ResolverClient;
  /** The fencing check before every write: throws LeaseLostError once the run lost its lease. */
  fence?: () => Promise<void>;
}

/**
 * Applies a plan's actions in dependency order: creates first (associations need their rule ids),
 * then associations and updates, then disassociations, then deletes; within a stage at most
 * `concurrency` calls at once. Actions already applied (`previous`, from an earlier attempt) are
 * skipped. Never throws for one action: each outcome says what happened and whether it may pass.
 */
export async function applyResolverActions(
  actions: readonly ResolverRuleAction[],
  previous: readonly ResolverActionOutcome[],
  options: ApplyOptions,
): Promise<ResolverActionOutcome[]> {
  const client = options.client ?? resolverClient();
  const tries = options.tries ?? 3;
  const backoffMs = options.backoffMs ?? 200;
  const done = new Map(previous.filter((o) => o.status === 'applied').map((o) => [o.actionId, o]));
  const outcomes = new Map<string, ResolverActionOutcome>(done);
  const ruleIds = new Map([...done.values()].filter((o) => o.ruleId).map((o) => [o.actionId, o.ruleId as string]));

  let leaseLost: string | undefined;
  /** An action not written because the run lost its lease: failed for good, whatever the ASL retries. */
  const stopped = (action: ResolverRuleAction, error: string): void => {
    outcomes.set(action.actionId, { actionId: action.actionId, status: 'failed', error, retryable: false });
  };
  const run = async (action: ResolverRuleAction): Promise<void> => {
    if (done.has(action.actionId)) return;
    if (leaseLost) return stopped(action, leaseLost);
    if (action.kind === 'associate-rule' && action.ruleId === null && !ruleIds.has(action.createActionId ?? '')) {
      outcomes.set(action.actionId, { actionId: action.actionId, status: 'skipped', detail: 'its create-rule failed' });
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await options.fence?.();
        const result = await applyOne(client, action, ruleIds);
        if (result.ruleId) ruleIds.set(action.actionId, result.ruleId);
        outcomes.set(action.actionId, { actionId: action.actionId, status: 'applied', ...result });
        return;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          // Another run holds the rules now: this one stops writing, and says so for every action left.
          leaseLost = errorText(err);
          return stopped(action, leaseLost);
        }
        // One owner per failure class. Throttling, 5xx and dropped connections: the SDK's attempts
        // (commons/clients.ts), then the ASL's Retry of Apply on the RetryableAwsError the handler throws
        // for outcomes left retryable; trying them here too would multiply the SDK's attempts. A delete
        // refused while the disassociation this run just made finishes (ResourceInUseException, a 4xx the
        // SDK does not retry) is this loop's: it passes in seconds, so it is tried again here, and only
        // what outlasts `tries` goes to the ASL's Retry with the rest.
        const retryable = isRetryable(err) || isDisassociationPending(err);
        if (isDisassociationPending(err) && attempt < tries) {
          await sleep(Math.random() * backoffMs * 2 ** attempt);
          continue;
        }
        outcomes.set(action.actionId, {
          actionId: action.actionId,
          status: 'failed',
          error: errorText(err),
          retryable,
        });
        return;
      }
    }
  };
  const stages: ResolverRuleAction['kind'][][] = [
    ['create-rule'],
    ['associate-rule', 'update-rule-targets'],
    ['disassociate-rule'],
    ['delete-rule'],
  ];
  for (const kinds of stages) {
    await mapLimit(
      actions.filter((a) => kinds.includes(a.kind)),
      options.concurrency,
      run,
    );
  }
  return actions.map((a) => outcomes.get(a.actionId) ?? { actionId: a.actionId, status: 'skipped', detail: 'not run' });
}
