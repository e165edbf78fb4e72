export * from './config.js';
export * from './types.js';
export * from './verdicts.js';
