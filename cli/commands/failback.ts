import { routeOperationCommand } from './route-operation.js';

export const failback = routeOperationCommand(
  'failback',
  'Switch back to the preferred gateway if it is healthy, and follow the execution.',
);
