/** Code-unit order for strings: the same on every machine and locale, so plans are deterministic. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
