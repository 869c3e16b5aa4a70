/**
 * Which transaction version a request runs under, and the error-code downgrades of old request
 * versions (Kafka's rules).
 *
 * Transactions version 2 (KIP-890) is used when the finalized `transaction.version` is >= 2 and the
 * request is new enough: EndTxn v5+, Produce v12+, TxnOffsetCommit v5+ (clients cap their versions
 * below these when the broker finalizes a lower level). Otherwise version 1 (explicit
 * AddPartitionsToTxn / AddOffsetsToTxn).
 * PRODUCER_FENCED (KIP-588) is answered as INVALID_PRODUCER_EPOCH to versions older than the one that
 * introduced it: InitProducerId < 4, AddPartitionsToTxn / AddOffsetsToTxn / EndTxn < 2, TxnOffsetCommit < 3.
 */
import { ErrorCode } from "@odradek/codec";
import type { BrokerConfig } from "../config.js";
import { finalizedLevel } from "../features.js";

export function transactionVersion(config: BrokerConfig, minRequestVersionForV2: number, apiVersion: number): number {
  const finalized = finalizedLevel("transaction.version", config);
  if (finalized >= 2 && apiVersion >= minRequestVersionForV2) return 2;
  return finalized >= 1 ? 1 : 0;
}

export function fencedFor(errorCode: number, apiVersion: number, fencedSince: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < fencedSince ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
