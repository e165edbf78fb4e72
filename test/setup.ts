// Lambda-like environment for every test: handlers read their configuration at import.
process.env.AWS_REGION ??= 'eu-west-2';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDSIMULATED';
process.env.AWS_SECRET_ACCESS_KEY ??= 'simulated-secret';
process.env.POWERTOOLS_DEV ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
