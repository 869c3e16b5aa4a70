/**
 * File names in a partition directory `<topic>-<partition>/`, Kafka's: `<20-digit base offset>.log`,
 * `.index`, `.timeindex`, `.txnindex` (aborted transactions), `.snapshot` (producer state), with the transient suffixes `.cleaned` (a
 * segment being written by the cleaner), `.swap` (a cleaned segment about to replace originals) and
 * `.deleted` (a segment being removed).
 */
export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";
export const TXN_INDEX_SUFFIX = ".txnindex";
export const SNAPSHOT_SUFFIX = ".snapshot";
export const CLEANED_SUFFIX = ".cleaned";
export const SWAP_SUFFIX = ".swap";
export const DELETED_SUFFIX = ".deleted";

export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, "0");
}

/** The base offset of a `<20 digits><suffix...>` name, or null. */
export function offsetFromFileName(name: string): number | null {
  const m = /^(\d{20})\./.exec(name);
  return m ? Number(m[1]) : null;
}

/** `<topic>-<partition>`; the topic may itself contain '-'. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  return m ? { topic: m[1]!, partition: Number(m[2]) } : null;
}
