/**
 * Domain names as Route 53 Resolver rules take them: labels of letters, digits, '-' and '_',
 * each at most 63 characters, at most 253 characters in all (255 bytes on the wire, see the
 * Route 53 "DNS domain name format" page), compared in one spelling: lower case, no trailing dot.
 */

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/** Lower case, without surrounding white space or the trailing dot. */
export function normaliseDomainName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Why a normalised domain name cannot be a forward rule's domain, or undefined when it can. */
export function domainNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > 253) return `"${name}" is longer than 253 characters`;
  for (const label of name.split('.')) {
    if (label === '') return `"${name}" has an empty label`;
    if (label.length > 63) return `"${name}" has a label longer than 63 characters`;
    if (!LABEL.test(label)) {
      return `"${name}" has a label with characters other than a-z, 0-9, '-', '_' or starting or ending with '-'`;
    }
  }
  return undefined;
}
