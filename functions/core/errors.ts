// Errors of the pure core; their names are load-bearing (the ASL's Catch and the operators match on them).
/** A configuration variable is missing or malformed; `variable` names it. */
export class ConfigurationError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigurationError';
    this.variable = variable;
  }
}

/** The observation or request handed to the core is inconsistent; `field` names the offending part. */
export class InvalidInputError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}
