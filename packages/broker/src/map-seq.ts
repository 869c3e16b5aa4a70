/** `items.map(fn)` for an async `fn`, one item at a time and in order (admin requests change state step by step). */
export async function mapSeq<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R> | R): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i++) out.push(await fn(items[i]!, i));
  return out;
}
