// AWS resource ids as the route configuration names them. CIDRs: ../ip.ts.

/** An AWS resource id with the given prefix (`pl-`, `rtb-`, `eipalloc-`): 8 or 17 lowercase hex digits. */
export function isAwsId(prefix: string, text: string): boolean {
  return new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(text);
}
