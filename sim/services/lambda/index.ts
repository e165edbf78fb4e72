export { runWithEnv } from './env.js';
export {
  type ExecutionEnvironments,
  type FunctionErrorPayload,
  type FunctionSpec,
  type InvocationRecord,
  type InvocationResult,
  type InvocationType,
  type LambdaHandler,
  LambdaService,
} from './service.js';
