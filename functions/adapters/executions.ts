import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../commons/clients.js';

/**
 * Starts an execution of a state machine. A Standard execution's name is unique for 90 days:
 * StartExecution with the name of an execution that ran (or runs with another input) fails with
 * ExecutionAlreadyExists, and the same name and input while it runs return it without a second one.
 * Either way the named run exists: `alreadyStarted` says so instead of an error.
 */
export async function startExecution(
  stateMachineArn: string,
  name: string | undefined,
  input: unknown,
): Promise<{ alreadyStarted: boolean; executionArn?: string }> {
  try {
    const { executionArn } = await sfnClient().send(
      new StartExecutionCommand({
        stateMachineArn,
        ...(name !== undefined ? { name } : {}),
        input: JSON.stringify(input),
      }),
    );
    return { alreadyStarted: false, ...(executionArn ? { executionArn } : {}) };
  } catch (err) {
    if ((err as { name?: string }).name === 'ExecutionAlreadyExists' && name !== undefined)
      return { alreadyStarted: true };
    throw err;
  }
}
