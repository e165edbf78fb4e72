import { routeOperationCommand } from './route-operation.js';

export const sweep = routeOperationCommand(
  'sweep',
  'Run the periodic reconciliation now (what the schedule does), and follow the execution.',
);
