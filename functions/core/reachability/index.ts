export * from './config.js';
export * from './trigger.js';
export * from './types.js';
export * from './verdicts.js';
