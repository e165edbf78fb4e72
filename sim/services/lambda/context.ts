import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface InvocationContextInput {
  functionName: string;
  functionArn: string;
  invokedFunctionArn: string;
  memoryMb: number;
  timeoutSec: number;
  requestId: string;
  /** Simulated date of the invocation, for the log stream name. */
  date: Date;
}

/** The context object the Node.js runtime passes to a handler, with a wall-clock deadline. */
export function invocationContext(input: InvocationContextInput): Context {
  const deadline = Date.now() + input.timeoutSec * 1000;
  const day = input.date.toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the simulated Lambda: return or throw from the handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: input.invokedFunctionArn,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId: input.requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** The variables the Lambda runtime sets for every function, before the function's own. */
export function runtimeVariables(input: InvocationContextInput, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: input.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${input.functionName}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    // Reserved variable (Lambda docs, "Defined runtime environment variables"): on-demand for a function
    // without provisioned concurrency. Powertools counts a cold start only when it is on-demand.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // The sim has no X-Ray: no invocation carries a trace header (_X_AMZN_TRACE_ID), so the X-Ray SDK that
    // Powertools Tracer wraps the SDK clients with finds no segment. Lambda sets LOG_ERROR here (a segment
    // always exists there); IGNORE_ERROR lets the captured clients' calls through without an error line each.
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    // Lambda runs each execution environment in a process of its own; the sim runs them all in one. In
    // automatic mode the X-Ray SDK in every function bundle installs a process-wide async hook at import
    // (cls-hooked) that is never removed: each cold start added one, and 40 of them make every await
    // of the process about 150 times slower. Manual mode tracks no context; with no trace in the sim,
    // the captured clients behave the same.
    AWS_XRAY_MANUAL_MODE: 'true',
    // The execution role's temporary credentials, as the runtime provides them.
    AWS_ACCESS_KEY_ID: 'ASIASIMULATEDROLE',
    AWS_SECRET_ACCESS_KEY: 'simulated-role-secret',
    AWS_SESSION_TOKEN: 'simulated-session-token',
  };
}
