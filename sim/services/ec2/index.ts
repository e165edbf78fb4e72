export { EC2_ACTIONS } from './actions/index.js';
export { Ec2Service, type StatusChecks } from './service.js';
export { ec2ThrottlePolicy } from './throttle.js';
export { DEFAULT_TRANSITION_DELAYS, type InstanceStateChange, type TransitionDelays } from './world.js';
