import { startExecution } from './executions.js';

/**
 * Starts the resolver reconciler for names the VPC resolver answered publicly; the names started for,
 * or none when there is no name or no reconciler in the stack.
 */
export async function wakeResolver(
  stateMachineArn: string | undefined,
  names: string[],
  now: string,
): Promise<string[]> {
  if (names.length === 0 || !stateMachineArn) return [];
  await startExecution(
    stateMachineArn,
    `probe-${now.replace(/[^0-9]/g, '').slice(0, 14)}-${Math.random().toString(16).slice(2, 8)}`,
    {
      operation: 'reconcile',
      requestedBy: `reachability probe: answered publicly ${names.join(', ')}`.slice(0, 200),
    },
  );
  return names;
}
