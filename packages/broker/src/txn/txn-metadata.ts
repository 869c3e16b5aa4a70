/**
 * A transactional id's state, as Kafka's TransactionMetadata keeps it, and the transaction state
 * machine (Kafka's TransactionState, with its ids as written in `__transaction_state`):
 *
 *   Empty (0)             no transaction open          → Ongoing (partitions added), PrepareEpochFence,
 *                                                         Empty (InitProducerId bumps the epoch), Dead (expired)
 *   Ongoing (1)           partitions/offsets added      → PrepareCommit, PrepareAbort, PrepareEpochFence
 *   PrepareCommit (2)     EndTxn(commit) is durable; markers being written → CompleteCommit
 *   PrepareAbort (3)      EndTxn(abort), a timeout or a fence is durable; markers being written → CompleteAbort
 *   CompleteCommit (4)    markers written               → Ongoing, Empty, PrepareEpochFence, Dead
 *   CompleteAbort (5)     markers written               → Ongoing, Empty, PrepareEpochFence, Dead
 *   Dead (6)              expired; the id is forgotten (a tombstone follows)
 *   PrepareEpochFence (7) in memory only in Kafka: an InitProducerId or a timeout bumps the epoch
 *                         and aborts the open transaction (written as PrepareAbort with the new epoch)
 * Invariants: `partitions` is empty in Empty, CompleteCommit, CompleteAbort and Dead; `producerEpoch` never decreases for one
 * producer id; a transaction's markers carry the epoch the PrepareX record carries.
 */

export interface TxnState {
  readonly id: number;
  readonly name: string;
}

export const TxnStates = {
  Empty: { id: 0, name: "Empty" },
  Ongoing: { id: 1, name: "Ongoing" },
  PrepareCommit: { id: 2, name: "PrepareCommit" },
  PrepareAbort: { id: 3, name: "PrepareAbort" },
  CompleteCommit: { id: 4, name: "CompleteCommit" },
  CompleteAbort: { id: 5, name: "CompleteAbort" },
  Dead: { id: 6, name: "Dead" },
  PrepareEpochFence: { id: 7, name: "PrepareEpochFence" },
} as const satisfies Record<string, TxnState>;

export type TxnStateName = keyof typeof TxnStates;

const BY_ID: TxnState[] = Object.values(TxnStates).sort((a, b) => a.id - b.id);

export function txnStateById(id: number): TxnState {
  const s = BY_ID[id];
  if (!s) throw new Error(`unknown transaction state id ${id} in __transaction_state`);
  return s;
}

export function txnStateByName(name: string): TxnState | undefined {
  return BY_ID.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  /** The producer id before the last rotation (epoch exhausted), or -1. */
  previousProducerId: number;
  /** TV2: the id to switch to once the markers of an overflowing epoch bump are written, or -1. */
  nextProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (retries of InitProducerId and TV2 EndTxn), -1 when unknown. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** "topic-partition" keys of the open transaction. */
  partitions: Set<string>;
  /** When the transaction started (first partition added), -1 when none is open. */
  startMs: number;
  lastUpdateMs: number;
  /** 0/1: transactions version 1 (AddPartitionsToTxn); 2: KIP-890 (implicit adds, epoch bump per EndTxn). */
  clientTransactionVersion: number;
}

/** Kafka never hands out Short.MAX_VALUE as an epoch, so a producer can always be fenced once more. */
export const MAX_EPOCH = 32767;
export const isEpochExhausted = (epoch: number): boolean => epoch >= MAX_EPOCH - 1;

export const is = (m: TxnMetadata, ...names: TxnStateName[]): boolean => names.some((n) => m.state === TxnStates[n]);

export function copy(m: TxnMetadata, changes: Partial<TxnMetadata> = {}): TxnMetadata {
  return { ...m, partitions: new Set(m.partitions), ...changes };
}
