import type { Command } from '../command.js';
import { failback } from './failback.js';
import { failover } from './failover.js';
import { follow } from './follow.js';
import { history } from './history.js';
import { planFailback, planFailover, planRepair } from './plan.js';
import { repair } from './repair.js';
import { rulesReconcile } from './rules-reconcile.js';
import { status } from './status.js';
import { sweep } from './sweep.js';

/** Every subcommand, in the order the help lists them; a new command is one module added here. */
export const COMMANDS: Command[] = [
  status,
  planRepair,
  planFailover,
  planFailback,
  repair,
  failover,
  failback,
  sweep,
  rulesReconcile,
  follow,
  history,
] as Command[];
