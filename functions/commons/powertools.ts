import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

// One instance of each per module, reused across invocations; service name and namespace come from
// the POWERTOOLS_* variables of template.yaml.
export const logger = new Logger({ serviceName: 'cgw-autopilot' });
export const metrics = new Metrics({ namespace: 'CgwAutopilot', serviceName: 'cgw-autopilot' });
/**
 * Tracer disables itself outside Lambda (no AWS_EXECUTION_ENV) and when POWERTOOLS_TRACE_ENABLED is
 * false. HTTPS capture is off: every AWS call goes through an SDK client captured one by one
 * (`traced`), the functions make no other HTTP calls, and the global http/https patch it would
 * install is then of no use.
 */
export const tracer = new Tracer({ serviceName: 'cgw-autopilot', captureHTTPsRequests: false });

/** Wraps an SDK v3 client so each call is a subsegment of the invocation's trace (a no-op when tracing is off). */
export const traced = <T>(client: T): T => tracer.captureAWSv3Client(client);

/**
 * Where in a state machine an invocation runs. The ASL passes it in the task input
 * (`"logContext": {"executionId.$": "$$.Execution.Id", "state.$": "$$.State.Name"}`), as Lambda's
 * context does not know the execution that invoked it.
 */
export interface StepContext {
  executionId: string;
  state: string;
}

function stepContext(event: unknown): { context: Partial<StepContext>; rest: unknown } {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { context: {}, rest: event };
  const { logContext, ...rest } = event as { logContext?: Partial<StepContext> };
  if (logContext === undefined) return { context: {}, rest: event };
  const context: Partial<StepContext> = {};
  if (typeof logContext?.executionId === 'string') context.executionId = logContext.executionId;
  if (typeof logContext?.state === 'string') context.state = logContext.state;
  return { context, rest };
}

/**
 * A handler with what Powertools' `injectLambdaContext`, `captureLambdaHandler` and `logMetrics`
 * (with `captureColdStartMetric`) do, without middy or decorators: every log line of the invocation
 * carries the Lambda request id, the Step Functions execution id and state name (when the ASL passes
 * them) and the group; the cold start is counted once per execution environment; metrics left unpublished
 * are flushed; and the invocation is a subsegment of the trace when one exists. The step context is
 * taken off the event before the handler sees it.
 */
export function instrumented<E, R>(
  keys: { group: () => string },
  handler: (event: E, context?: Context) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    const { context: step, rest } = stepContext(event);
    // Called directly (tests, scripts) there is no Lambda context: the lines then carry no request id.
    if (context) logger.addContext(context);
    logger.appendKeys({ group: keys.group(), ...step });
    metrics.captureColdStartMetric(context?.functionName);
    // Lambda sets _X_AMZN_TRACE_ID for each invocation of a function with active tracing; without it
    // there is no facade segment to hang the handler's subsegment on (e.g. the simulated Lambda).
    const segment = tracer.isTracingEnabled() && tracer.getRootXrayTraceId() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${context?.functionName ?? 'handler'}`);
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      const result = await handler(rest as E, context);
      if (subsegment) tracer.addResponseAsMetadata(result);
      return result;
    } catch (err) {
      if (subsegment) tracer.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      if (segment && subsegment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      logger.resetKeys();
    }
  };
}
