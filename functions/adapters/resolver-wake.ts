import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../commons/clients.js';

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
  await sfnClient().send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `probe-${now.replace(/[^0-9]/g, '').slice(0, 14)}-${Math.random().toString(16).slice(2, 8)}`,
      input: JSON.stringify({
        operation: 'reconcile',
        requestedBy: `reachability probe: answered publicly ${names.join(', ')}`.slice(0, 200),
      }),
    }),
  );
  return names;
}
