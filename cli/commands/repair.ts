import { routeOperationCommand } from './route-operation.js';

export const repair = routeOperationCommand(
  'repair',
  'Re-point every managed route at the active gateway (no switch), and follow the execution.',
);
