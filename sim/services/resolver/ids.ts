import { createHash } from 'node:crypto';

/**
 * Resolver ids (`rslvr-rr-`, `rslvr-out-`, `rslvr-rrassoc-`, ... + 17 hex digits), deterministic per
 * service instance: the n-th id of a kind is the same in every run, and again after reset().
 */
export class ResolverIds {
  private counter = 0;

  constructor(private readonly seed = 'route53resolver') {}

  next(prefix: string): string {
    const n = this.counter++;
    return `${prefix}${createHash('sha256').update(`${this.seed}:${n}`).digest('hex').slice(0, 17)}`;
  }

  reset(): void {
    this.counter = 0;
  }
}

export function ruleArn(region: string, accountId: string, id: string): string {
  return `arn:aws:route53resolver:${region}:${accountId}:resolver-rule/${id}`;
}

export function endpointArn(region: string, accountId: string, id: string): string {
  return `arn:aws:route53resolver:${region}:${accountId}:resolver-endpoint/${id}`;
}

/** A stand-in VPC id for a subnet when nothing tells the service which VPC the subnet is in. */
export function derivedVpcId(subnetId: string): string {
  return `vpc-${createHash('sha256').update(subnetId).digest('hex').slice(0, 17)}`;
}
