import type { Ec2Action } from '../describe.js';
import { addressActions } from './addresses.js';
import { attachmentActions } from './attachments.js';
import { instanceActions } from './instances.js';
import { networkActions } from './network.js';
import { networkInterfaceActions } from './network-interfaces.js';
import { routeTableActions } from './route-tables.js';
import { securityGroupActions } from './security-groups.js';
import { tagActions } from './tags.js';

/** Every EC2 action the simulation serves, by its API name. */
export const EC2_ACTIONS: Readonly<Record<string, Ec2Action>> = {
  ...networkActions,
  ...routeTableActions,
  ...instanceActions,
  ...networkInterfaceActions,
  ...addressActions,
  ...tagActions,
  ...securityGroupActions,
  ...attachmentActions,
};
