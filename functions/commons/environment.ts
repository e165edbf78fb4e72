import { ConfigurationError } from '../core/routes/errors.js';

/** A required environment variable, or a ConfigurationError naming it. */
export function requiredEnv(name: string, env: Record<string, string | undefined> = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(name, 'is required');
  return value;
}

/** An optional environment variable; empty counts as absent. */
export function optionalEnv(name: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
