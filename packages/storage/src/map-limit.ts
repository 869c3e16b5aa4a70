/**
 * `items.map(fn)` with at most `limit` calls of the async `fn` running at once, results in item order.
 * Opening, closing or deleting thousands of partition logs one after another waits on the file
 * system thousands of times in a row; a few at a time keeps libuv's pool busy instead.
 * On a failure no further call starts, and the calls in flight are awaited before the first error is
 * thrown: a caller undoing the work (closing the logs that did open) sees everything that happened.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return out;
}

/** How many partition logs are opened, closed or deleted at once. */
export const LOG_IO_CONCURRENCY = 16;
