/**
 * What a rule's target receives for an event: the whole event, constant Input, an InputPath
 * selection, or an InputTransformer rendering, after the "Amazon EventBridge input transformation"
 * page of the EventBridge user guide.
 */

export class InvalidTargetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTargetInputError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type InputTransformer = { InputPathsMap?: Record<string, string>; InputTemplate: string };
export type TargetInput = { Input?: string; InputPath?: string; InputTransformer?: InputTransformer };
/** The rule a target belongs to, for the predefined aws.events.* variables. */
export type RuleContext = { ruleName?: string; ruleArn?: string; ingestionTime?: string };

const MAX_VARIABLES = 100;
const SEGMENT = /^(?:\.([A-Za-z0-9_\-/]+)|\[(\d+)\])/;

/**
 * Resolves the JSON paths EventBridge documents: `$`, dot notation with letters, digits, dashes,
 * underscores and slashes, and array indices. Wildcards are documented but not simulated: they throw.
 * Returns undefined when the path does not exist in the event.
 */
export function resolveJsonPath(document: Json, path: string): Json | undefined {
  if (!path.startsWith('$')) throw new InvalidTargetInputError(`JSON path '${path}' must start with $`);
  let rest = path.slice(1);
  let current: Json | undefined = document;
  while (rest !== '') {
    const step = SEGMENT.exec(rest);
    if (!step) throw new InvalidTargetInputError(`JSON path '${path}' is not supported by the simulation at '${rest}'`);
    rest = rest.slice(step[0].length);
    if (step[1] !== undefined) {
      const isObject: boolean = typeof current === 'object' && current !== null && !Array.isArray(current);
      current = isObject ? (current as { [key: string]: Json })[step[1]] : undefined;
    } else {
      current = Array.isArray(current) ? current[Number(step[2])] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function predefinedVariables(event: Json, context: RuleContext): Map<string, Json> {
  const fields = typeof event === 'object' && event !== null && !Array.isArray(event) ? event : {};
  const { detail: _detail, ...withoutDetail } = fields;
  const variables = new Map<string, Json>([
    // The current guide: aws.events.event is the original event without its detail field, while
    // aws.events.event.json is the full original event. (An older revision called .json "the exact payload
    // as a string"; the current wording is followed.)
    ['aws.events.event', withoutDetail],
    ['aws.events.event.json', event],
    [
      'aws.events.event.ingestion-time',
      context.ingestionTime ?? (typeof fields.time === 'string' ? fields.time : null),
    ],
  ]);
  if (context.ruleName !== undefined) variables.set('aws.events.rule-name', context.ruleName);
  if (context.ruleArn !== undefined) variables.set('aws.events.rule-arn', context.ruleArn);
  return variables;
}

function pathVariables(event: Json, pathsMap: Record<string, string>): Map<string, Json> {
  const entries = Object.entries(pathsMap);
  if (entries.length > MAX_VARIABLES)
    throw new InvalidTargetInputError(`InputPathsMap allows at most ${MAX_VARIABLES} variables`);
  const variables = new Map<string, Json>();
  for (const [name, path] of entries) {
    if (name.toLowerCase().startsWith('aws.')) {
      throw new InvalidTargetInputError(`InputPathsMap key '${name}' is reserved: keys cannot start with 'AWS.'`);
    }
    // The guide: a variable whose path does not exist in the event is not created.
    const value = resolveJsonPath(event, path);
    if (value !== undefined) variables.set(name, value);
  }
  return variables;
}

/**
 * Fills `<name>` placeholders. Inside a JSON string literal the value goes in raw and unescaped
 * (the guide: "EventBridge doesn't escape values extracted by Input Path"); outside one it goes in
 * as JSON, so strings gain their quotes (the guide's "Simple JSON" example).
 * Unclear in the docs: what replaces a variable that was not created (path missing from the event).
 * Chosen: nothing inside a string literal, `null` outside one, so a JSON template stays valid JSON.
 * Placeholders naming no variable at all are left as written.
 */
function render(template: string, variables: Map<string, Json>, declared: Set<string>): string {
  let output = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (char === '\\' && inString) {
      output += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    const name = placeholder?.[1];
    if (placeholder && name !== undefined && (variables.has(name) || declared.has(name))) {
      const value = variables.get(name);
      if (inString) output += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
      else output += value === undefined ? 'null' : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    output += char;
  }
  return output;
}

/** The guide: "The JSON that is passed to the target is minified". Text that is not JSON passes as is. */
function minified(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * The payload text the target receives for this event. With none of Input, InputPath and
 * InputTransformer, that is the whole event as JSON.
 * Unclear in the docs: what a target receives when InputPath does not exist in the event; chosen: `null`.
 */
export function shapeTargetInput(event: unknown, target: TargetInput, context: RuleContext = {}): string {
  const document = event as Json;
  const configured = [target.Input, target.InputPath, target.InputTransformer].filter((item) => item !== undefined);
  if (configured.length > 1) {
    throw new InvalidTargetInputError('Only one of Input, InputPath and InputTransformer may be set on a target');
  }
  if (target.Input !== undefined) {
    try {
      JSON.parse(target.Input);
    } catch {
      throw new InvalidTargetInputError('Input must be valid JSON text');
    }
    return target.Input;
  }
  if (target.InputPath !== undefined) {
    return JSON.stringify(resolveJsonPath(document, target.InputPath) ?? null);
  }
  if (target.InputTransformer !== undefined) {
    const { InputPathsMap = {}, InputTemplate } = target.InputTransformer;
    const variables = new Map([...predefinedVariables(document, context), ...pathVariables(document, InputPathsMap)]);
    return minified(render(InputTemplate, variables, new Set(Object.keys(InputPathsMap))));
  }
  return JSON.stringify(document);
}
