import { createRequire } from 'node:module';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsError } from '../../core/errors.js';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

// asl-validator ships CommonJS without types.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/** The resource a Wait state is rewritten to, so that it waits on the simulated clock. */
export const SIM_WAIT_RESOURCE = 'arn:aws:states:::sim:wait';
/** Largest timeout setTimeout accepts (2^31-1 ms), so the rewritten Wait never times out on its own. */
const WAIT_TASK_TIMEOUT_SECONDS = 2_147_483;

export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

/** What history and task dispatch need to know of a state, by its (machine-wide unique) name. */
export interface StateInfo {
  name: string;
  type: StateType;
  resource?: string;
  timeoutSeconds?: number;
  /** ItemsPath of a Map state, for the length in MapStateStarted. */
  itemsPath?: string;
  inputPath?: string | null;
  /** The state's Retry field, for retries that wait on the simulated clock. */
  retry?: Retrier[];
}

/** One retrier of a Retry field. */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface CompiledDefinition {
  /** The definition aws-local-stepfunctions runs: Wait states turned into Tasks on SIM_WAIT_RESOURCE. */
  runnable: StateMachineDefinition;
  states: Map<string, StateInfo>;
}

type Json = Record<string, unknown>;

/** Validation outcomes by definition text: asl-validator compiles its schemas on every call, at about 0.3 s. */
const validated = new Map<string, string | undefined>();
const VALIDATED_KEPT = 64;

/** What asl-validator finds wrong with a definition, undefined when nothing; the same text, the same answer. */
function aslErrors(text: string, definition: object): string | undefined {
  if (validated.has(text)) return validated.get(text);
  // The validator annotates what it checks, so it gets its own copy.
  const { isValid, errorsText } = aslValidator(structuredClone(definition));
  const errors = isValid ? undefined : errorsText('; ');
  if (validated.size >= VALIDATED_KEPT) validated.delete(validated.keys().next().value as string);
  validated.set(text, errors);
  return errors;
}

/** Parses and validates definition text as CreateStateMachine does; throws InvalidDefinition. */
export function parseDefinition(text: unknown): Json {
  if (typeof text !== 'string' || text.length === 0) {
    throw new AwsError('InvalidDefinition', "Invalid State Machine Definition: 'definition must be a JSON string'");
  }
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    throw new AwsError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(err as Error).message}'`,
    );
  }
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw new AwsError('InvalidDefinition', "Invalid State Machine Definition: 'definition must be a JSON object'");
  }
  const errors = aslErrors(text, definition);
  if (errors !== undefined) throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${errors}'`);
  const jsonata = JSON.stringify(definition).includes('"QueryLanguage":"JSONata"');
  if (jsonata) {
    // Valid in AWS, but aws-local-stepfunctions runs JSONPath only.
    throw new AwsError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'the simulated account runs JSONPath state machines only (no JSONata)'",
    );
  }
  return definition as Json;
}

/** Indexes every state (nested Map and Parallel ones too) and rewrites Wait states for the runner. */
export function compileDefinition(definition: Json): CompiledDefinition {
  const states = new Map<string, StateInfo>();
  const runnable = rewriteMachine(definition, states) as unknown as StateMachineDefinition;
  return { runnable, states };
}

function rewriteMachine(machine: Json, states: Map<string, StateInfo>): Json {
  const rewritten: Json = {};
  for (const [name, raw] of Object.entries((machine.States ?? {}) as Record<string, Json>)) {
    const state = { ...raw };
    const type = state.Type as StateType;
    states.set(name, {
      name,
      type,
      ...(typeof state.Resource === 'string' ? { resource: state.Resource } : {}),
      ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}),
      ...(typeof state.ItemsPath === 'string' ? { itemsPath: state.ItemsPath } : {}),
      ...('InputPath' in state ? { inputPath: state.InputPath as string | null } : {}),
      ...(Array.isArray(state.Retry) ? { retry: state.Retry as Retrier[] } : {}),
    });
    for (const key of ['Iterator', 'ItemProcessor'] as const) {
      if (state[key]) state[key] = rewriteMachine(state[key] as Json, states);
    }
    if (Array.isArray(state.Branches))
      state.Branches = (state.Branches as Json[]).map((b) => rewriteMachine(b, states));
    for (const key of ['Parameters', 'ItemSelector', 'ResultSelector'] as const) {
      if (state[key] !== undefined) state[key] = withStateName(state[key], name);
    }
    if (type === 'Choice' && Array.isArray(state.Choices))
      state.Choices = (state.Choices as Json[]).map(negatedTypeTests);
    rewritten[name] = type === 'Wait' ? waitAsTask(state) : state;
  }
  return { ...machine, States: rewritten };
}

/**
 * The context object's `$$.State.Name` as the literal name of the state it is read in. aws-local-stepfunctions
 * gives `$$` no State object; the name is fixed per state, so it is substituted when the definition is
 * compiled: a path that is exactly `$$.State.Name` becomes a plain field, and inside an intrinsic function the
 * path becomes a string literal. `$$.State.EnteredTime` and `$$.State.RetryCount` change during a run and stay
 * unsupported (the execution fails naming the path).
 */
function withStateName(value: unknown, stateName: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withStateName(v, stateName));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    if (key.endsWith('.$') && v === '$$.State.Name') out[key.slice(0, -2)] = stateName;
    else if (key.endsWith('.$') && typeof v === 'string' && v.startsWith('States.')) {
      const literal = `'${stateName.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`;
      out[key] = v.replaceAll('$$.State.Name', () => literal);
    } else out[key] = withStateName(v, stateName);
  }
  return out;
}

/** A copy of a runnable definition whose Retry intervals and maximum delays are multiplied by `scale`. */
export function scaleRetries(machine: unknown, scale: number): unknown {
  if (scale === 1) return machine;
  const walk = (m: Json): Json => {
    const states: Json = {};
    for (const [name, raw] of Object.entries((m.States ?? {}) as Record<string, Json>)) {
      const state: Json = { ...raw };
      if (Array.isArray(state.Retry)) {
        state.Retry = (state.Retry as Json[]).map((retrier) => ({
          ...retrier,
          IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? 1) * scale,
          ...(retrier.MaxDelaySeconds !== undefined
            ? { MaxDelaySeconds: (retrier.MaxDelaySeconds as number) * scale }
            : {}),
        }));
      }
      for (const key of ['Iterator', 'ItemProcessor'] as const) if (state[key]) state[key] = walk(state[key] as Json);
      if (Array.isArray(state.Branches)) state.Branches = (state.Branches as Json[]).map(walk);
      states[name] = state;
    }
    return { ...m, States: states };
  };
  return walk(machine as Json);
}

const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

/**
 * aws-local-stepfunctions answers false to every `IsNull: false` style test (it returns
 * `IsNull && value === null`), where AWS matches the values that are not null. Rewriting the test
 * as `Not: { IsNull: true }` gives AWS's answer; nested And/Or/Not rules are rewritten too.
 */
function negatedTypeTests(rule: Json): Json {
  const out: Json = { ...rule };
  for (const key of ['And', 'Or'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as Json[]).map(negatedTypeTests);
  }
  if (out.Not && typeof out.Not === 'object') out.Not = negatedTypeTests(out.Not as Json);
  const test = TYPE_TESTS.find((t) => out[t] === false);
  if (!test) return out;
  const { Next, [test]: _negated, ...rest } = out;
  return { Not: { ...rest, [test]: true }, ...(Next !== undefined ? { Next } : {}) };
}

/**
 * aws-local-stepfunctions sleeps Wait states in wall-clock time; as a Task on a local handler the
 * wait can follow the simulated clock instead. Parameters carry the duration and the effective
 * input (after InputPath), which the handler returns unchanged, so the output is what Wait gives.
 */
function waitAsTask(state: Json): Json {
  const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _type, ...rest } = state;
  const parameters: Json = { 'input.$': '$' };
  if (Seconds !== undefined) parameters.seconds = Seconds;
  if (SecondsPath !== undefined) parameters['seconds.$'] = SecondsPath;
  if (Timestamp !== undefined) parameters.timestamp = Timestamp;
  if (TimestampPath !== undefined) parameters['timestamp.$'] = TimestampPath;
  return {
    ...rest,
    Type: 'Task',
    Resource: SIM_WAIT_RESOURCE,
    Parameters: parameters,
    TimeoutSeconds: WAIT_TASK_TIMEOUT_SECONDS,
  };
}
