/** Why a template could not be deployed, naming the resource and property. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

/** What a Ref or a GetAtt of a deployed resource gives. */
export interface ResolvedResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface ResolveScope {
  stackName: string;
  region: string;
  accountId: string;
  parameters: Record<string, string | string[]>;
  conditions: Record<string, boolean>;
  resources: Record<string, ResolvedResource>;
  /** Logical ids declared in the template, so a reference to one not yet created is told apart from a typo. */
  declared: Set<string>;
}

/** Marker for `!Ref AWS::NoValue`: the property is removed. */
export const NO_VALUE = Symbol('AWS::NoValue');

function pseudo(name: string, scope: ResolveScope): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return scope.region;
    case 'AWS::AccountId':
      return scope.accountId;
    case 'AWS::StackName':
      return scope.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${scope.region}:${scope.accountId}:stack/${scope.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function ref(name: unknown, scope: ResolveScope, where: string): string | string[] | typeof NO_VALUE {
  if (typeof name !== 'string') throw new DeployError(`${where}: Ref needs a name`);
  const value = pseudo(name, scope) ?? scope.parameters[name] ?? scope.resources[name]?.ref;
  if (value !== undefined) return value;
  if (scope.declared.has(name)) throw new DeployError(`${where}: Ref ${name} is used before ${name} is created`);
  throw new DeployError(`${where}: Ref ${name} names no parameter or resource`);
}

function getAtt(args: unknown, scope: ResolveScope, where: string): string {
  const [name, attribute] = Array.isArray(args) ? args : [];
  if (typeof name !== 'string' || typeof attribute !== 'string') {
    throw new DeployError(`${where}: Fn::GetAtt needs [resource, attribute]`);
  }
  const resource = scope.resources[name];
  if (!resource) throw new DeployError(`${where}: Fn::GetAtt ${name}.${attribute}: no resource ${name}`);
  const value = resource.attributes[attribute];
  if (value === undefined) {
    throw new DeployError(
      `${where}: Fn::GetAtt ${name}.${attribute} is not supported locally (known: ${Object.keys(resource.attributes).join(', ')})`,
    );
  }
  return value;
}

function sub(args: unknown, scope: ResolveScope, where: string): string {
  const [text, vars] = typeof args === 'string' ? [args, {}] : Array.isArray(args) ? args : [undefined, undefined];
  if (typeof text !== 'string') throw new DeployError(`${where}: Fn::Sub needs a string or [string, variables]`);
  const locals = resolveValue(vars ?? {}, scope, where) as Record<string, unknown>;
  return text.replace(/\$\{(!?)([^}]+)\}/g, (whole, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in locals) return String(locals[name]);
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const dot = name.indexOf('.');
      return getAtt([name.slice(0, dot), name.slice(dot + 1)], scope, where);
    }
    const value = ref(name, scope, where);
    if (value === NO_VALUE) throw new DeployError(`${where}: Fn::Sub cannot use AWS::NoValue (${whole})`);
    return Array.isArray(value) ? value.join(',') : value;
  });
}

function condition(name: unknown, scope: ResolveScope, where: string): boolean {
  if (typeof name !== 'string' || !(name in scope.conditions)) {
    throw new DeployError(`${where}: condition ${String(name)} is not declared`);
  }
  return scope.conditions[name]!;
}

/** Evaluates a condition expression (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition). */
export function evaluateCondition(expr: unknown, scope: ResolveScope, where: string): boolean {
  if (expr && typeof expr === 'object' && !Array.isArray(expr)) {
    const [key, args] = Object.entries(expr)[0] ?? [];
    const list = Array.isArray(args) ? args : [];
    switch (key) {
      case 'Fn::Equals':
        return (
          JSON.stringify(resolveValue(list[0], scope, where)) === JSON.stringify(resolveValue(list[1], scope, where))
        );
      case 'Fn::Not':
        return !evaluateCondition(list[0], scope, where);
      case 'Fn::And':
        return list.every((c) => evaluateCondition(c, scope, where));
      case 'Fn::Or':
        return list.some((c) => evaluateCondition(c, scope, where));
      case 'Condition':
        return condition(args, scope, where);
    }
  }
  throw new DeployError(`${where}: not a condition expression: ${JSON.stringify(expr)}`);
}

/**
 * Resolves the intrinsic functions in a value: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select,
 * Fn::Split, Fn::If, Fn::Equals and the condition functions. Anything else fails, naming `where`.
 */
export function resolveValue(value: unknown, scope: ResolveScope, where: string): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveValue(v, scope, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, args] = entries[0] ?? [];
  if (entries.length === 1 && key && (key === 'Ref' || key.startsWith('Fn::'))) {
    switch (key) {
      case 'Ref':
        return ref(args, scope, where);
      case 'Fn::GetAtt':
        return getAtt(args, scope, where);
      case 'Fn::Sub':
        return sub(args, scope, where);
      case 'Fn::Join': {
        const [separator, list] = Array.isArray(args) ? args : [];
        const items = resolveValue(list, scope, where);
        if (typeof separator !== 'string' || !Array.isArray(items))
          throw new DeployError(`${where}: Fn::Join needs [separator, list]`);
        return items.join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = Array.isArray(args) ? args : [];
        const items = resolveValue(list, scope, where);
        const i = Number(resolveValue(index, scope, where));
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new DeployError(`${where}: Fn::Select index ${String(index)} is out of range`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, text] = Array.isArray(args) ? args : [];
        const resolved = resolveValue(text, scope, where);
        if (typeof separator !== 'string' || typeof resolved !== 'string')
          throw new DeployError(`${where}: Fn::Split needs [separator, string]`);
        return resolved.split(separator);
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = Array.isArray(args) ? args : [];
        return resolveValue(condition(name, scope, where) ? whenTrue : whenFalse, scope, where);
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
        return evaluateCondition(value, scope, where);
      default:
        throw new DeployError(`${where}: ${key} is not supported by the local deploy`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const resolved = resolveValue(v, scope, `${where}.${k}`);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

/** Logical ids a value refers to (Ref, GetAtt, names inside Sub), for ordering the deploy. */
export function referencesIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencesIn(v, found);
  } else if (value && typeof value === 'object') {
    for (const [key, args] of Object.entries(value)) {
      if (key === 'Ref' && typeof args === 'string') found.add(args);
      else if (key === 'Fn::GetAtt' && Array.isArray(args) && typeof args[0] === 'string') found.add(args[0]);
      else if (key === 'Fn::Sub') {
        const text = typeof args === 'string' ? args : Array.isArray(args) ? args[0] : undefined;
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^!}][^}.]*)(\.[^}]*)?\}/g)) found.add(m[1]!);
        }
        if (Array.isArray(args)) referencesIn(args[1], found);
      } else referencesIn(args, found);
    }
  }
  return found;
}
