import { AwsError } from '../../core/errors.js';

/** Request params as the query parser builds them; every accessor checks the shape it expects. */
export type Params = Record<string, unknown>;

export function asParams(value: unknown): Params {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : {};
}

function invalidValue(name: string, value: unknown): AwsError {
  return new AwsError('InvalidParameterValue', `Value (${String(value)}) for parameter ${name} is invalid.`);
}

export function missing(name: string): AwsError {
  return new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
}

export function optString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidValue(name, JSON.stringify(value));
  return value;
}

export function reqString(params: Params, name: string): string {
  const value = optString(params, name);
  if (value === undefined || value === '') throw missing(name);
  return value;
}

export function optBool(params: Params, name: string): boolean | undefined {
  const value = optString(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalidValue(name, value);
  return value === 'true';
}

export function optInt(params: Params, name: string): number | undefined {
  const value = optString(params, name);
  if (value === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(value)) throw invalidValue(name, value);
  return Number(value);
}

/** `Name.N` lists: `RouteTableId.1=a&RouteTableId.2=b`. */
export function stringList(params: Params, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidValue(name, '[...]');
  return value as string[];
}

/** `Name.N.Member` lists of structures. */
export function structList(params: Params, name: string): Params[] {
  const value = params[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => !v || typeof v !== 'object' || Array.isArray(v))) {
    throw invalidValue(name, '[...]');
  }
  return value as Params[];
}

/** A nested structure such as `SourceDestCheck.Value`. */
export function struct(params: Params, name: string): Params | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalidValue(name, String(value));
  return value as Params;
}

/** `Tag.N.Key` / `Tag.N.Value` pairs, checked against EC2's tag rules. */
export function tagList(params: Params, name = 'Tag', valueRequired = true): { key: string; value?: string }[] {
  return structList(params, name).map((tag) => {
    const key = optString(tag, 'Key');
    const value = optString(tag, 'Value');
    if (key === undefined || key === '') throw missing(`${name}.Key`);
    if (key.length > 128) throw new AwsError('InvalidParameterValue', `Tag key exceeds the maximum length of 128`);
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    }
    if (value !== undefined && value.length > 256) {
      throw new AwsError('InvalidParameterValue', `Tag value exceeds the maximum length of 256`);
    }
    if (valueRequired) return { key, value: value ?? '' };
    return value === undefined ? { key } : { key, value };
  });
}

/** Tags from `TagSpecification.N` for one resource type; a type outside `allowedTypes` is rejected. */
export function tagsFor(params: Params, resourceType: string, allowedTypes = [resourceType]): Map<string, string> {
  const tags = new Map<string, string>();
  for (const spec of structList(params, 'TagSpecification')) {
    const type = optString(spec, 'ResourceType');
    if (type === undefined) throw missing('TagSpecification.ResourceType');
    if (!allowedTypes.includes(type)) {
      throw new AwsError(
        'InvalidParameterValue',
        `'${type}' is not a valid taggable resource type for this operation.`,
      );
    }
    if (type !== resourceType) continue;
    for (const { key, value } of tagList(spec, 'Tag')) tags.set(key, value ?? '');
  }
  return tags;
}
