import { routeOperationCommand } from './route-operation.js';

export const failover = routeOperationCommand(
  'failover',
  'Switch the active gateway (to --to, or the healthiest other member), and follow the execution.',
);
