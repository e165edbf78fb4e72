export { Execution, type ExecutionStatus } from './execution.js';
export type { HistoryEvent } from './history.js';
export { TaskError } from './sdk.js';
export { SfnService, type SfnServiceOptions } from './service.js';
