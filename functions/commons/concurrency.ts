/**
 * Runs fn over items, at most `limit` at a time, keeping the order of the results: the one bounded
 * pool of the functions (DNS chains walked at once, Route 53 Resolver calls in flight). A rejection
 * rejects the whole run, as Promise.all does; callers that must not stop catch inside fn.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (!(Number.isInteger(limit) && limit > 0))
    throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
