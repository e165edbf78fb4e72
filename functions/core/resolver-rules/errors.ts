/** A bad or missing configuration value; the message names the environment variable. */
export class ConfigurationError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigurationError';
    this.variable = variable;
  }
}
