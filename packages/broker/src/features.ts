/**
 * Feature flags (KIP-584) as ApiVersions v3+ reports them: what the broker supports and the level
 * each feature is finalized at. One table; an issue that implements a feature raises its level here.
 *
 * Invariants:
 *  - a finalized level is exactly the level the broker implements: clients switch code paths on it
 *    (the Java producer uses transactions version 2 only when `transaction.version` >= 2 is
 *    finalized; KIP-848 and KIP-932 clients look at `group.version` / `share.version`), so a feature
 *    the broker does not implement has level 0, which is not listed as finalized (Kafka lists only
 *    levels above 0);
 *  - `metadata.version` is finalized at Kafka 4.4's level (33, what a fresh Kafka 4.4.0 KRaft node
 *    reports), so tools that read it see the Kafka version this broker emulates;
 *  - ApiVersions v0-3 omit supported features whose minimum is 0 (KAFKA-17011; v4 fixed it).
 *  - the set never changes while the broker runs, so the finalized-features epoch is a constant 0;
 *  - a feature with a `config` is finalized at that broker config's level (between its min and max
 *    supported): `odradek.transaction.version=1` serves transactions version 1 only.
 */
import type { BrokerConfig } from "./config.js";

export interface Feature {
  readonly name: string;
  readonly minSupported: number;
  readonly maxSupported: number;
  /** 0 = not enabled (then not listed as finalized). */
  readonly finalized: number;
  /** The broker config that sets the finalized level instead (its default is `finalized`). */
  readonly config?: string;
}

export const FEATURES: readonly Feature[] = [
  // Kafka 4.4 supports 7 (3.3-IV3) to 33; the broker behaves as 4.4 whatever the level.
  { name: "metadata.version", minSupported: 7, maxSupported: 33, finalized: 33 },
  // KIP-848 consumer groups (ConsumerGroupHeartbeat/Describe) are served.
  { name: "group.version", minSupported: 0, maxSupported: 1, finalized: 1 },
  // Transactions, both versions (txn/): 2 = KIP-890 (implicit adds, an epoch bump per EndTxn), Kafka 4.4's level.
  { name: "transaction.version", minSupported: 0, maxSupported: 2, finalized: 2, config: "odradek.transaction.version" },
  // Not built yet: KIP-932 share groups, KIP-1071 streams groups.
  { name: "share.version", minSupported: 0, maxSupported: 0, finalized: 0 },
  { name: "streams.version", minSupported: 0, maxSupported: 0, finalized: 0 },
];

export const FINALIZED_FEATURES_EPOCH = 0n;

/** The level a feature is finalized at (0 when not enabled or unknown). */
export function finalizedLevel(name: string, config: BrokerConfig): number {
  const f = FEATURES.find((x) => x.name === name);
  return f ? levelOf(f, config) : 0;
}

function levelOf(f: Feature, config: BrokerConfig): number {
  return f.config !== undefined ? Math.min(Math.max(config.int(f.config), f.minSupported), f.maxSupported) : f.finalized;
}

/** ApiVersions' supported and finalized feature lists for one request version. */
export function featureLists(apiVersion: number, config: BrokerConfig): {
  supportedFeatures: { name: string; minVersion: number; maxVersion: number }[];
  finalizedFeatures: { name: string; minVersionLevel: number; maxVersionLevel: number }[];
} {
  return {
    supportedFeatures: FEATURES.filter((f) => apiVersion >= 4 || f.minSupported > 0).map((f) => ({ name: f.name, minVersion: f.minSupported, maxVersion: f.maxSupported })),
    finalizedFeatures: FEATURES.filter((f) => levelOf(f, config) > 0).map((f) => ({ name: f.name, minVersionLevel: levelOf(f, config), maxVersionLevel: levelOf(f, config) })),
  };
}
