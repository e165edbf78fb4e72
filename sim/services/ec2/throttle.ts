import type { ThrottleBucket, ThrottlePolicy } from '../../core/faults.js';
import { EC2_ACTIONS } from './actions/index.js';
import { isPaginated } from './pagination.js';
import { asParams } from './params.js';

/*
 * Request token buckets from "Request throttling for the Amazon EC2 API"
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), table "Request token
 * bucket sizes and refill rates". Each API action has its own bucket of its category's size.
 * Not modelled: the resource token buckets (RunInstances 1000/2 and TerminateInstances 1000/20
 * per instance, StartInstances 1000/2, StopInstances 1000/20), which would need a bucket that
 * takes several tokens per request. None of the served actions is "resource-intensive" (50/5).
 */
const NON_MUTATING: ThrottleBucket = { capacity: 100, refillPerSecond: 20 };
const UNFILTERED_UNPAGINATED: ThrottleBucket = { capacity: 50, refillPerSecond: 10 };
const MUTATING: ThrottleBucket = { capacity: 50, refillPerSecond: 5 };

/** "Uncategorized actions" with their own sizes, among the ones served here. */
const UNCATEGORIZED: Record<string, ThrottleBucket> = {
  CreateNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  DeleteNetworkInterface: { capacity: 100, refillPerSecond: 5 },
  ModifyNetworkInterfaceAttribute: { capacity: 100, refillPerSecond: 5 },
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
};

/** Served here and listed as using the smaller bucket when called with neither filter nor pagination. */
const UNFILTERED_ACTIONS = new Set(['DescribeInstances', 'DescribeInstanceStatus', 'DescribeNetworkInterfaces']);

const isNonMutating = (action: string) => /^(Describe|List|Search|Get)/.test(action);

function bucketFor(action: string): ThrottleBucket {
  return UNCATEGORIZED[action] ?? (isNonMutating(action) ? NON_MUTATING : MUTATING);
}

const buckets: Record<string, ThrottleBucket> = {};
for (const action of Object.keys(EC2_ACTIONS)) {
  buckets[action] = bucketFor(action);
  if (UNFILTERED_ACTIONS.has(action)) buckets[`${action}:unfiltered`] = UNFILTERED_UNPAGINATED;
}

/**
 * `sim.faults.throttle(ec2ThrottlePolicy)` throttles EC2 as the documented token buckets do.
 * The page does not say whether an ids list (InstanceId.N) counts as a filter; here it does not.
 */
export const ec2ThrottlePolicy: ThrottlePolicy = {
  service: 'ec2',
  buckets,
  bucketOf: (action, params) => {
    if (!Object.hasOwn(EC2_ACTIONS, action)) return undefined;
    const p = asParams(params);
    if (UNFILTERED_ACTIONS.has(action) && p.Filter === undefined && !isPaginated(p)) return `${action}:unfiltered`;
    return action;
  },
};
