import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { followExecution } from '../executions.js';
import { executionResult, findExecutionArn } from '../operations.js';

const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9-_]{1,80}:[A-Za-z0-9-_]{1,80}$/;
const EXECUTION_NAME = /^[A-Za-z0-9-_]{1,80}$/;

export const follow: Command<{ execution: string }> = {
  words: ['follow'],
  args: 'EXECUTION',
  summary: 'Live progress of an execution (name or ARN): states as they happen, Map progress, retries, the outcome.',
  flags: {},
  parse(args) {
    const [execution, extra] = args.positionals;
    if (!execution) throw new UsageError('follow needs an execution name or ARN');
    if (extra !== undefined) throw new UsageError(`follow takes one execution, got also '${extra}'`);
    if (execution.startsWith('arn:') ? !EXECUTION_ARN.test(execution) : !EXECUTION_NAME.test(execution)) {
      throw new UsageError(`${execution} is not an execution name or a Step Functions execution ARN`);
    }
    return { execution };
  },
  async run(input, ctx) {
    const target = await ctx.target();
    const arn = await findExecutionArn(target, input.execution);
    const followed = await followExecution(target.sfn, arn, (line) => ctx.progress(line));
    return executionResult(followed, Number(target.parameters.MaxChangesPerRun) || undefined);
  },
};
