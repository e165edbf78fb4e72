import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// One instance per module, reused across invocations; service name and namespace come from the
// POWERTOOLS_* variables of template.yaml.
export const logger = new Logger({ serviceName: 'cgw-autopilot' });
export const metrics = new Metrics({ namespace: 'CgwAutopilot', serviceName: 'cgw-autopilot' });
