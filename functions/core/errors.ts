// Errors of the pure core; their names are load-bearing (the ASL's Catch and the operators match on them).

/** An error about one named part of what the core was given: the message starts with that name. */
abstract class PartError extends Error {
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(`${part}: ${message}`);
  }
}

/** A configuration variable is missing or malformed; `variable` names it. */
export class ConfigurationError extends PartError {
  override readonly name = 'ConfigurationError';
  readonly variable = this.part;
}

/** The observation or request handed to the core is inconsistent; `field` names the offending part. */
export class InvalidInputError extends PartError {
  override readonly name = 'InvalidInputError';
  readonly field = this.part;
}
