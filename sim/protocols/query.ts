import { AwsError } from '../core/errors.js';

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
export type QueryParams = { [key: string]: QueryValue };

/**
 * Parses an awsQuery / ec2Query form body into nested params: `Filter.1.Value.2=x` becomes
 * `{ Filter: [{ Value: [undefined, 'x'] }] }` with 1-based indexes mapped to array positions.
 */
export function parseQueryBody(body: string): { action: string; version?: string; params: QueryParams } {
  const form = new URLSearchParams(body);
  const params: QueryParams = {};
  let action: string | undefined;
  let version: string | undefined;
  for (const [key, value] of form) {
    if (key === 'Action') action = value;
    else if (key === 'Version') version = value;
    else setPath(params, key, value);
  }
  if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action.');
  return { action, ...(version ? { version } : {}), params: compact(params) as QueryParams };
}

function setPath(root: QueryParams, key: string, value: string): void {
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new AwsError('InvalidParameter', `Malformed parameter name: ${key}`);
  // biome-ignore lint/suspicious/noExplicitAny: walking a structure whose shape the key defines
  let node: any = root;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const isIndex = /^\d+$/.test(part);
    const slot = isIndex ? Number(part) - 1 : part;
    if (isIndex && (!Array.isArray(node) || (slot as number) < 0 || (slot as number) > 10_000)) {
      throw new AwsError('InvalidParameter', `Malformed parameter name: ${key}`);
    }
    if (last) {
      node[slot] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
    if (node[slot] === undefined) node[slot] = nextIsIndex ? [] : {};
    if (Array.isArray(node[slot]) !== nextIsIndex || typeof node[slot] !== 'object') {
      throw new AwsError('InvalidParameter', `Conflicting parameter names at ${key}`);
    }
    node = node[slot];
  }
}

/** Drops the holes a sparse 1-based list leaves. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  }
  return value;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * Serialises a value already in wire naming: objects become elements, arrays become a list of
 * `itemName` elements (`item` for EC2, `member` for awsQuery), undefined is left out.
 */
export function toXml(value: unknown, itemName: string): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  // awsQuery maps (SNS attributes): <entry><key>..</key><value>..</value></entry> per pair.
  if (value instanceof Map) {
    return [...value]
      .map(([k, v]) => `<entry><key>${escapeXml(String(k))}</key><value>${toXml(v, itemName)}</value></entry>`)
      .join('');
  }
  if (Array.isArray(value)) return value.map((v) => `<${itemName}>${toXml(v, itemName)}</${itemName}>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v, itemName)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function ec2Response(action: string, requestId: string, body: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${toXml(body, 'item')}</${action}Response>`;
}

export function ec2Error(error: AwsError, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function queryResponse(action: string, namespace: string, requestId: string, body: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}"><${action}Result>${toXml(body, 'member')}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(error: AwsError, namespace: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${error.fault}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
