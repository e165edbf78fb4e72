import { isIPv4, isIPv6 } from 'node:net';
import { AwsError } from '../../core/errors.js';
import type { Tag, TargetAddress, TargetProtocol } from './model.js';

/**
 * Checks of Route 53 Resolver request parameters. The operations we serve declare
 * InvalidParameterException (not ValidationException) for bad or missing parameters, so that is
 * what these throw; AWS's exact wording for each case is not published and is approximated.
 */

export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

export function invalidRequest(message: string): AwsError {
  return new AwsError('InvalidRequestException', message);
}

/** AWS's validation-error wording; the field is named in lower camel case as the service does. */
function constraint(field: string, value: unknown, rule: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return invalidParameter(
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${rule}`,
  );
}

function lowerCamel(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

export function requiredString(params: Record<string, unknown>, field: string, max = 255): string {
  const value = params[field];
  if (value === undefined || value === null) throw constraint(lowerCamel(field), value, 'Member must not be null');
  if (typeof value !== 'string' || value.length < 1 || value.length > max) {
    throw constraint(lowerCamel(field), value, `Member must have length between 1 and ${max}`);
  }
  return value;
}

export function optionalString(params: Record<string, unknown>, field: string, max = 255): string | undefined {
  return params[field] === undefined ? undefined : requiredString(params, field, max);
}

// The Name pattern of rules, endpoints and associations in the API reference.
const RESOURCE_NAME = /^(?!^[0-9]+$)([a-zA-Z0-9\-_' ']+)$/;

export function optionalName(params: Record<string, unknown>, field = 'Name'): string | undefined {
  const value = params[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 64 || (value !== '' && !RESOURCE_NAME.test(value))) {
    throw constraint(
      lowerCamel(field),
      value,
      "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9\\-_' ']+)",
    );
  }
  return value;
}

export function oneOf<T extends string>(params: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const value = params[field];
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw constraint(lowerCamel(field), value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

/**
 * AWS stores and returns rule domain names fully qualified (`example.com` reads back as
 * `example.com.`; `.` stays `.`). Whether it also lower-cases them is not documented; the sim keeps
 * the caller's case and compares case-insensitively, so consumers must not rely on either.
 */
export function normaliseDomainName(value: unknown): string {
  if (value === undefined || value === null) throw constraint('domainName', value, 'Member must not be null');
  if (typeof value !== 'string' || value.length < 1 || value.length > 256) {
    throw constraint('domainName', value, 'Member must have length between 1 and 256');
  }
  const name = value.trim();
  if (name === '.') return name;
  const labels = (name.endsWith('.') ? name.slice(0, -1) : name).split('.');
  if (labels.some((l) => l === '' || l.length > 63 || !/^[A-Za-z0-9_-]+$/.test(l))) {
    throw invalidParameter(`Invalid domain name: ${value}`);
  }
  return `${labels.join('.')}.`;
}

export function sameDomain(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const PROTOCOLS: readonly TargetProtocol[] = ['Do53', 'DoH', 'DoH-FIPS'];

/** TargetIps: Ip or Ipv6 each, Port 0..65535 (default 53), Protocol (default Do53). */
export function targetAddresses(value: unknown): TargetAddress[] {
  if (!Array.isArray(value) || value.length < 1) {
    throw constraint('targetIps', value, 'Member must have length greater than or equal to 1');
  }
  const targets = value.map((raw, index): TargetAddress => {
    const t = (raw ?? {}) as Record<string, unknown>;
    const field = `targetIps.${index + 1}`;
    if (t.Ip === undefined && t.Ipv6 === undefined) {
      throw invalidParameter(`[${field}] Either Ip or Ipv6 must be specified for a target address`);
    }
    if (t.Ip !== undefined && (typeof t.Ip !== 'string' || !isIPv4(t.Ip))) {
      throw invalidParameter(`[${field}.ip] ${String(t.Ip)} is not a valid IPv4 address`);
    }
    if (t.Ipv6 !== undefined && (typeof t.Ipv6 !== 'string' || !isIPv6(t.Ipv6))) {
      throw invalidParameter(`[${field}.ipv6] ${String(t.Ipv6)} is not a valid IPv6 address`);
    }
    const port = t.Port ?? 53;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw constraint(`${field}.member.port`, port, 'Member must have value between 0 and 65535');
    }
    const protocol = t.Protocol ?? 'Do53';
    if (!PROTOCOLS.includes(protocol as TargetProtocol)) {
      throw constraint(`${field}.member.protocol`, protocol, `Member must satisfy enum value set: [${PROTOCOLS}]`);
    }
    return {
      ...(t.Ip !== undefined ? { Ip: t.Ip as string } : {}),
      ...(t.Ipv6 !== undefined ? { Ipv6: t.Ipv6 as string } : {}),
      Port: port,
      Protocol: protocol as TargetProtocol,
    };
  });
  // The API reference: "You can specify either Ipv4 or Ipv6 addresses but not both in the same rule."
  const families = new Set(targets.map((t) => (t.Ip !== undefined ? 'v4' : 'v6')));
  if (families.size > 1 || targets.some((t) => t.Ip !== undefined && t.Ipv6 !== undefined)) {
    throw invalidRequest('You can specify either IPv4 or IPv6 target addresses but not both in the same rule.');
  }
  return targets;
}

const VPC_ID = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;

export function vpcId(params: Record<string, unknown>, field = 'VPCId'): string {
  const value = requiredString(params, field, 64);
  if (!VPC_ID.test(value)) throw invalidParameter(`The vpc ID '${value}' is not valid`);
  return value;
}

export const MAX_TAGS = 200;

export function tagList(value: unknown, field = 'tags'): Tag[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw constraint(field, value, 'Member must be a list');
  if (value.length > MAX_TAGS) {
    throw constraint(field, value.length, `Member must have length less than or equal to ${MAX_TAGS}`);
  }
  return value.map((raw, index) => {
    const t = (raw ?? {}) as Record<string, unknown>;
    if (typeof t.Key !== 'string' || t.Key.length < 1 || t.Key.length > 128) {
      throw constraint(`${field}.${index + 1}.member.key`, t.Key, 'Member must have length between 1 and 128');
    }
    if (typeof t.Value !== 'string' || t.Value.length > 256) {
      throw constraint(`${field}.${index + 1}.member.value`, t.Value, 'Member must have length between 0 and 256');
    }
    return { Key: t.Key, Value: t.Value };
  });
}

export function stringList(params: Record<string, unknown>, field: string): string[] {
  const value = params[field];
  if (!Array.isArray(value) || value.length < 1 || value.some((v) => typeof v !== 'string' || v === '')) {
    throw constraint(lowerCamel(field), value, 'Member must have length greater than or equal to 1');
  }
  return value as string[];
}
