/**
 * EventBridge event patterns: validation (what PutRule rejects with InvalidEventPatternException) and
 * matching, after the "Creating event patterns", "Content filtering", "Arrays" and "Null values and
 * empty strings" pages of the EventBridge user guide. Where the guide is silent, this follows Event
 * Ruler (github.com/aws/event-ruler), the open-source matcher EventBridge runs; each such choice is
 * marked "Unclear in the docs".
 */
import { type CidrRange, cidrContains, parseCidr } from '../core/ip.js';

export class InvalidEventPatternError extends Error {
  constructor(path: string, reason: string) {
    super(`Event pattern is not valid at ${path}: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const OR = '$or';
const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists', 'cidr', 'wildcard'];
const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];
// Event Ruler refuses these as field names inside $or (Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
const RESERVED_IN_OR = new Set([
  ...OPERATORS,
  'exactly',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (path: string, reason: string): never => {
  throw new InvalidEventPatternError(path, reason);
};

const child = (path: string, key: string): string => (path === '$' ? key : `${path}.${key}`);

function parsePattern(pattern: unknown): JsonObject {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch {
      fail('$', 'not valid JSON');
    }
  }
  if (!isObject(parsed)) fail('$', 'the pattern must be a JSON object');
  return parsed as JsonObject;
}

/** Compiles a wildcard value to a RegExp; returns a reason string when the value is not a valid wildcard. */
function compileWildcard(text: string): RegExp | string {
  let source = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '*') {
      if (text[i + 1] === '*') return 'consecutive wildcard characters are not allowed';
      source += '.*';
    } else if (char === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') return 'a backslash may only escape * or \\';
      source += `\\${next}`;
      i++;
    } else {
      source += char.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function validateStringOrIgnoreCase(value: Json, path: string, operator: string): void {
  if (typeof value === 'string') return;
  const keys = isObject(value) ? Object.keys(value) : [];
  if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
    fail(path, `${operator} must be a string or { "equals-ignore-case": string }`);
  }
  if (typeof (value as JsonObject)['equals-ignore-case'] !== 'string') {
    fail(path, 'equals-ignore-case match pattern must be a string');
  }
}

function validateNumeric(value: Json, path: string): void {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'numeric must be a non-empty array');
  const terms = value as Json[];
  const isNumber = (term: Json | undefined): term is number => typeof term === 'number' && Number.isFinite(term);
  const [first, firstValue, second, secondValue] = terms;
  if (first === '=' || first === '<' || first === '<=') {
    if (!isNumber(firstValue)) fail(path, `value of ${first} must be numeric`);
    if (terms.length !== 2) fail(path, `too many terms after ${first}`);
    return;
  }
  if (first !== '>' && first !== '>=') fail(path, `unrecognized numeric operator ${JSON.stringify(first)}`);
  if (!isNumber(firstValue)) fail(path, `value of ${first} must be numeric`);
  if (terms.length === 2) return;
  if (second !== '<' && second !== '<=') fail(path, `bad numeric range operator ${JSON.stringify(second)}`);
  if (!isNumber(secondValue)) fail(path, `value of ${second} must be numeric`);
  if (terms.length !== 4) fail(path, 'too many terms in numeric range');
  if ((firstValue as number) >= (secondValue as number)) fail(path, 'bottom of a numeric range must be below its top');
}

function validateAnythingBut(value: Json, path: string): void {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return;
  if (Array.isArray(value)) {
    const allStrings = value.every((item) => typeof item === 'string');
    const allNumbers = value.every((item) => typeof item === 'number' && Number.isFinite(item));
    // Unclear in the docs: whether an empty list is accepted; refused here, as it would match everything.
    if (value.length === 0 || !(allStrings || allNumbers)) {
      fail(path, 'anything-but list must hold only strings or only numbers, and at least one');
    }
    return;
  }
  if (!isObject(value)) fail(path, 'anything-but must be a string, a number, a list or an object');
  const entries = Object.entries(value as JsonObject);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined || !ANYTHING_BUT_OPERATORS.includes(operator)) {
    fail(path, `unsupported anything-but pattern, use one of ${ANYTHING_BUT_OPERATORS.join(', ')}`);
  }
  const texts = Array.isArray(operand) ? operand : [operand];
  if (texts.length === 0 || !texts.every((text) => typeof text === 'string')) {
    fail(path, `anything-but ${operator} must be a string or a non-empty list of strings`);
  }
  for (const text of texts as string[]) {
    if ((operator === 'prefix' || operator === 'suffix') && text === '') fail(path, `empty ${operator} not allowed`);
    if (operator === 'wildcard') {
      const compiled = compileWildcard(text);
      if (typeof compiled === 'string') fail(path, compiled);
    }
  }
}

function validateMatchExpression(expression: JsonObject, path: string): void {
  const entries = Object.entries(expression);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined || operand === undefined) {
    fail(path, 'a match expression must have exactly one operator');
    return;
  }
  const at = child(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      validateStringOrIgnoreCase(operand, at, operator);
      return;
    case 'equals-ignore-case':
      if (typeof operand !== 'string') fail(at, 'equals-ignore-case match pattern must be a string');
      return;
    case 'wildcard': {
      if (typeof operand !== 'string') fail(at, 'wildcard match pattern must be a string');
      const compiled = compileWildcard(operand as string);
      if (typeof compiled === 'string') fail(at, compiled);
      return;
    }
    case 'exists':
      if (typeof operand !== 'boolean') fail(at, 'exists match pattern must be either true or false');
      return;
    case 'cidr': {
      if (typeof operand !== 'string') fail(at, 'cidr match pattern must be a string');
      const range = parseCidr(operand as string);
      if (typeof range === 'string') fail(at, range);
      return;
    }
    case 'numeric':
      validateNumeric(operand, at);
      return;
    case 'anything-but':
      validateAnythingBut(operand, at);
      return;
    default:
      fail(path, `unrecognized match type ${operator}`);
  }
}

function validateLeaf(values: Json[], path: string): void {
  if (values.length === 0) fail(path, 'empty arrays are not allowed');
  for (const [index, value] of values.entries()) {
    const at = `${path}[${index}]`;
    if (isObject(value)) validateMatchExpression(value, at);
    else if (Array.isArray(value)) fail(at, 'match value must be a string, number, true, false, null or an object');
    else if (typeof value === 'number' && !Number.isFinite(value)) fail(at, 'match value must be a finite number');
  }
}

function validateObject(pattern: JsonObject, path: string, insideOr: boolean): void {
  const entries = Object.entries(pattern);
  if (entries.length === 0) fail(path, 'empty objects are not allowed');
  for (const [key, value] of entries) {
    const at = child(path, key);
    if (key === OR && Array.isArray(value)) {
      if (value.length < 2) fail(at, 'there must be at least 2 objects in $or');
      for (const [index, branch] of value.entries()) {
        if (!isObject(branch)) fail(`${at}[${index}]`, 'only JSON objects are allowed in $or');
        validateObject(branch as JsonObject, `${at}[${index}]`, true);
      }
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) fail(at, `${key} is a reserved name and cannot be a field inside $or`);
    if (Array.isArray(value)) validateLeaf(value, at);
    else if (isObject(value)) validateObject(value, at, insideOr);
    else fail(at, 'must be an object or an array');
  }
}

/** Throws InvalidEventPatternError, naming the offending path, for a pattern EventBridge would reject. */
export function validateEventPattern(pattern: unknown): void {
  validateObject(parsePattern(pattern), '$', false);
}

// ---- matching ----

/**
 * The leaf values of an event field: arrays are flattened, objects are not leaves (the docs: exists
 * "only works on leaf nodes"). An empty array yields none, so it counts as absent.
 * Unclear in the docs: whether exists:false matches an empty array; Event Ruler produces no field for
 * it, so it does here.
 */
const flatten = (items: Json[]): Json[] => items.flatMap((item) => (Array.isArray(item) ? flatten(item) : [item]));

function leafValues(value: Json | undefined): Json[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return value.flatMap(leafValues);
  return [value];
}

const lower = (text: string): string => text.toLowerCase();

function matchesAnythingBut(operand: Json, value: Json): boolean {
  if (!isObject(operand)) {
    // Exact exclusion is type-strict: anything-but "5" does not exclude the number 5.
    return !(Array.isArray(operand) ? operand : [operand]).some((excluded) => excluded === value);
  }
  // Unclear in the docs: how anything-but prefix/suffix/equals-ignore-case/wildcard treat non-strings.
  // Event Ruler compares them against the quoted string form, so a number or null is never excluded.
  if (typeof value !== 'string') return true;
  const [operator, texts] = Object.entries(operand)[0] as [string, Json];
  const list = (Array.isArray(texts) ? texts : [texts]) as string[];
  const excluded = list.some((text) => {
    if (operator === 'prefix') return value.startsWith(text);
    if (operator === 'suffix') return value.endsWith(text);
    if (operator === 'equals-ignore-case') return lower(value) === lower(text);
    return (compileWildcard(text) as RegExp).test(value);
  });
  return !excluded;
}

function matchesNumeric(terms: Json[], value: Json): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i < terms.length; i += 2) {
    const bound = terms[i + 1] as number;
    const holds =
      terms[i] === '='
        ? value === bound
        : terms[i] === '<'
          ? value < bound
          : terms[i] === '<='
            ? value <= bound
            : terms[i] === '>'
              ? value > bound
              : value >= bound;
    if (!holds) return false;
  }
  return true;
}

function matchesAffix(operand: Json, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  return test(lower(value), lower((operand as JsonObject)['equals-ignore-case'] as string));
}

/** Whether one leaf value satisfies one match expression (exists is handled by the caller). */
function matchesExpression(operator: string, operand: Json, value: Json): boolean {
  if (operator === 'anything-but') return matchesAnythingBut(operand, value);
  if (operator === 'numeric') return matchesNumeric(operand as Json[], value);
  if (typeof value !== 'string') return false;
  switch (operator) {
    case 'prefix':
      return matchesAffix(operand, value, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return matchesAffix(operand, value, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return lower(value) === lower(operand as string);
    case 'wildcard':
      return (compileWildcard(operand as string) as RegExp).test(value);
    default:
      return cidrContains(parseCidr(operand as string) as CidrRange, value);
  }
}

function matchesLeaf(rules: Json[], fieldValue: Json | undefined): boolean {
  const values = leafValues(fieldValue);
  return rules.some((rule) => {
    if (!isObject(rule)) {
      // Exact match is type-strict: "" is not null, "5" is not 5 (the docs: null and "" are not interchangeable).
      return values.some((value) => value === rule);
    }
    const [operator, operand] = Object.entries(rule)[0] as [string, Json];
    // A null value is a present leaf: exists:true matches it and exists:false does not (Event Ruler).
    if (operator === 'exists') return operand === values.length > 0;
    return values.some((value) => matchesExpression(operator, operand, value));
  });
}

/**
 * A nested pattern against an event value. When the event holds an array of objects, the pattern must
 * match within one element (Event Ruler's array-consistent matching); an empty array counts as absent.
 */
function matchesNested(pattern: JsonObject, value: Json | undefined): boolean {
  if (Array.isArray(value)) {
    const elements = flatten(value);
    if (elements.length === 0) return matchesObject(pattern, undefined);
    return elements.some((element) => matchesNested(pattern, element));
  }
  return matchesObject(pattern, value);
}

function matchesObject(pattern: JsonObject, event: Json | undefined): boolean {
  const fields = isObject(event) ? event : {};
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === OR && Array.isArray(rule)) {
      return rule.some((branch) => matchesObject(branch as JsonObject, event));
    }
    if (Array.isArray(rule)) return matchesLeaf(rule, fields[key]);
    return matchesNested(rule as JsonObject, fields[key]);
  });
}

/**
 * Whether the event matches the pattern. The pattern may be an object or JSON text; it is validated
 * first (throws InvalidEventPatternError). Numbers are compared as numbers once parsed: the docs say
 * 300, 300.0 and 3.0e2 differ, a distinction JSON.parse has already erased.
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  const parsed = parsePattern(pattern);
  validateObject(parsed, '$', false);
  return matchesObject(parsed, event as Json);
}
