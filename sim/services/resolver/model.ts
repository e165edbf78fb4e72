/** Route 53 Resolver shapes as they travel on the wire (awsJson1_1), plus what the sim keeps beside them. */

export type EndpointDirection = 'INBOUND' | 'OUTBOUND';
export type RuleType = 'FORWARD' | 'SYSTEM' | 'RECURSIVE';
export type TargetProtocol = 'Do53' | 'DoH' | 'DoH-FIPS';
export type AssociationStatus = 'CREATING' | 'COMPLETE' | 'DELETING' | 'FAILED' | 'OVERRIDDEN';

export interface Tag {
  Key: string;
  Value: string;
}

export interface TargetAddress {
  Ip?: string;
  Ipv6?: string;
  Port: number;
  Protocol: TargetProtocol;
}

export interface EndpointIpAddress {
  IpId: string;
  SubnetId: string;
  Ip?: string;
  Ipv6?: string;
}

export interface ResolverEndpoint {
  Id: string;
  CreatorRequestId: string;
  Arn: string;
  Name?: string;
  SecurityGroupIds: string[];
  Direction: EndpointDirection;
  IpAddressCount: number;
  HostVPCId: string;
  Status: 'CREATING' | 'OPERATIONAL' | 'UPDATING' | 'AUTO_RECOVERING' | 'ACTION_NEEDED' | 'DELETING';
  StatusMessage: string;
  CreationTime: string;
  ModificationTime: string;
  ResolverEndpointType: 'IPV4' | 'IPV6' | 'DUALSTACK';
  Protocols: TargetProtocol[];
}

export interface ResolverRule {
  Id: string;
  CreatorRequestId: string;
  Arn: string;
  DomainName: string;
  Status: 'COMPLETE' | 'DELETING' | 'UPDATING' | 'FAILED';
  StatusMessage: string;
  RuleType: RuleType;
  Name?: string;
  TargetIps?: TargetAddress[];
  ResolverEndpointId?: string;
  OwnerId: string;
  ShareStatus: 'NOT_SHARED' | 'SHARED_WITH_ME' | 'SHARED_BY_ME';
  CreationTime: string;
  ModificationTime: string;
}

export interface ResolverRuleAssociation {
  Id: string;
  ResolverRuleId: string;
  Name?: string;
  VPCId: string;
  Status: AssociationStatus;
  StatusMessage: string;
}

/** What the service stores for each resource: the wire shape plus ordering, region and tags. */
export interface Stored<T> {
  /** Creation order: lists are returned in it and NextToken points into it. */
  seq: number;
  region: string;
  tags: Map<string, string>;
  item: T;
}

export interface StoredEndpoint extends Stored<ResolverEndpoint> {
  ipAddresses: EndpointIpAddress[];
}
