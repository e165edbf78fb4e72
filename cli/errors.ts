/**
 * The CLI's exit codes, as documented in the README:
 * 0 done, 1 an action failed, 2 usage or configuration error, 3 blocked (blast radius, lease,
 * cooldown, a refused request), 4 no healthy member.
 */
export const EXIT = { done: 0, failed: 1, usage: 2, blocked: 3, noHealthyMember: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Something the CLI cannot do, said in one line; `code` is the process's exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad argument, flag or subcommand: nothing was asked of AWS. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** The target cannot be used: no stack, no region, no credentials, an endpoint that does not answer. */
export class TargetError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'TargetError';
  }
}
