import { createHash } from 'node:crypto';

/** Resource kinds and the id prefixes EC2 gives them. */
export const ID_PREFIX = {
  vpc: 'vpc',
  subnet: 'subnet',
  internetGateway: 'igw',
  vpnGateway: 'vgw',
  transitGateway: 'tgw',
  transitGatewayAttachment: 'tgw-attach',
  vpcPeeringConnection: 'pcx',
  prefixList: 'pl',
  routeTable: 'rtb',
  routeTableAssociation: 'rtbassoc',
  instance: 'i',
  reservation: 'r',
  networkInterface: 'eni',
  attachment: 'eni-attach',
  allocation: 'eipalloc',
  association: 'eipassoc',
  vpcCidrAssociation: 'vpc-cidr-assoc',
  subnetCidrAssociation: 'subnet-cidr-assoc',
  securityGroup: 'sg',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

/**
 * Deterministic AWS-looking ids: `rtb-` plus 17 hex digits derived from a per-sim counter, so two
 * runs of the same scenario produce the same ids while ids still look like AWS's long format.
 */
export class IdFactory {
  private counter = 0;
  private readonly issued = new Set<string>();

  next(kind: IdKind): string {
    for (;;) {
      this.counter++;
      const hex = createHash('sha256').update(`${kind}:${this.counter}`).digest('hex').slice(0, 17);
      const id = `${ID_PREFIX[kind]}-${hex}`;
      if (!this.issued.has(id)) {
        this.issued.add(id);
        return id;
      }
    }
  }

  /** A monotonic sequence number, used to keep resources in creation order. */
  seq(): number {
    return ++this.counter;
  }

  reset(): void {
    this.counter = 0;
    this.issued.clear();
  }
}
