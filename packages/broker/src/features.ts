/**
 * Feature flags (KIP-584): what the broker supports, the level each feature is finalized at, and
 * UpdateFeatures' changes to those levels (Kafka's FeatureControlManager, for a one-node quorum).
 *
 * Invariants:
 *  - a finalized level never exceeds the level the broker implements (its max supported): clients
 *    switch code paths on it (the Java producer uses transactions version 2 only when
 *    `transaction.version` >= 2 is finalized; KIP-848 and KIP-932 clients look at `group.version` /
 *    `share.version`), so a feature the broker does not implement supports level 0 only. Level 0 is
 *    not listed as finalized (Kafka lists only levels above 0);
 *  - `metadata.version` is finalized at Kafka 4.4's level (33, what a fresh Kafka 4.4.0 KRaft node
 *    reports), so tools that read it see the Kafka version this broker emulates; Kafka 4.4 refuses
 *    every metadata.version downgrade, and 33 is the highest level, so it never changes;
 *  - levels set by UpdateFeatures are persisted (the metadata store's `features`, as Kafka keeps
 *    FeatureLevelRecords in its metadata log) and applied only once durable;
 *  - ApiVersions v0-3 omit supported features whose minimum is 0 (KAFKA-17011; v4 fixed it);
 *  - the finalized-features epoch is the metadata offset (the metadata store's `changes`), as Kafka reports
 *    the offset of its metadata image.
 */
import { ErrorCode } from "@odradek/codec";
import type { FeatureStore } from "@odradek/storage";

export interface Feature {
  readonly name: string;
  readonly minSupported: number;
  readonly maxSupported: number;
  /** The level a fresh data directory finalizes; 0 = not enabled (then not listed as finalized). */
  readonly finalized: number;
}

export const METADATA_VERSION = "metadata.version";

export const FEATURES: readonly Feature[] = [
  // Kafka 4.4 supports 7 (3.3-IV3) to 33; the broker behaves as 4.4 whatever the level.
  { name: METADATA_VERSION, minSupported: 7, maxSupported: 33, finalized: 33 },
  // KIP-848 consumer groups (ConsumerGroupHeartbeat/Describe) are served.
  { name: "group.version", minSupported: 0, maxSupported: 1, finalized: 1 },
  // Transactions, both versions (txn/): 2 = KIP-890 (implicit adds, an epoch bump per EndTxn), Kafka 4.4's level.
  { name: "transaction.version", minSupported: 0, maxSupported: 2, finalized: 2 },
  // KIP-932 share groups (share/).
  { name: "share.version", minSupported: 0, maxSupported: 1, finalized: 1 },
  // Not built yet: KIP-1071 streams groups.
  { name: "streams.version", minSupported: 0, maxSupported: 0, finalized: 0 },
];

/**
 * Features Kafka 4.4 knows that this broker does not list (a static one-voter quorum: kraft.version
 * 0; no ELR). Setting them to 0 is a no-op there and here; any other unknown name at level 0 is
 * "not found", as in Kafka.
 */
const OTHER_KAFKA_FEATURES = new Set(["kraft.version", "eligible.leader.replicas.version"]);

/** UpdateFeatures' `upgrade_type` (v1+; v0 requests are upgrades, see 057-update-features.ts). */
export const UpgradeType = { UNKNOWN: 0, UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  readonly feature: string;
  readonly level: number;
  readonly upgradeType: number;
}


export class FeatureControl {
  private readonly levels = new Map<string, number>();

  constructor(
    private readonly nodeId: number,
    private readonly store: FeatureStore,
    /** The metadata offset, reported as the finalized-features epoch. */
    private readonly metadataOffset: () => number,
  ) {
    const stored = store.features();
    for (const f of FEATURES) this.levels.set(f.name, f.name === METADATA_VERSION ? f.finalized : Math.min(stored[f.name] ?? f.finalized, f.maxSupported));
  }

  /** The finalized level of a feature (0 = disabled or unknown). */
  level(name: string): number {
    return this.levels.get(name) ?? 0;
  }

  get epoch(): bigint {
    return BigInt(this.metadataOffset());
  }

  /** ApiVersions' supported and finalized feature lists for one request version. */
  lists(apiVersion: number): {
    supportedFeatures: { name: string; minVersion: number; maxVersion: number }[];
    finalizedFeatures: { name: string; minVersionLevel: number; maxVersionLevel: number }[];
  } {
    return {
      supportedFeatures: FEATURES.filter((f) => apiVersion >= 4 || f.minSupported > 0).map((f) => ({ name: f.name, minVersion: f.minSupported, maxVersion: f.maxSupported })),
      finalizedFeatures: FEATURES.filter((f) => this.level(f.name) > 0).map((f) => ({ name: f.name, minVersionLevel: this.level(f.name), maxVersionLevel: this.level(f.name) })),
    };
  }

  /**
   * Validates every update (Kafka's order of checks; the first failing one fails them all) and,
   * unless `validateOnly`, applies them at once after persisting them. Returns null on success, or
   * INVALID_UPDATE_VERSION with Kafka's message. A name given twice counts once, with its last level.
   */
  async update(updates: readonly FeatureUpdate[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string } | null> {
    const byName = new Map(updates.map((u) => [u.feature, u]));
    for (const u of byName.values()) {
      const reason = this.reasonInvalid(u);
      if (reason !== null) return { errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: `The update failed for all features since the following feature had an error: ${reason}` };
    }
    const changed = [...byName.values()].filter((u) => u.feature !== METADATA_VERSION && FEATURES.some((f) => f.name === u.feature) && u.level !== this.level(u.feature));
    if (validateOnly || changed.length === 0) return null;
    const next = new Map(this.levels);
    for (const u of changed) next.set(u.feature, u.level);
    await this.store.setFeatures(Object.fromEntries([...next].filter(([name]) => name !== METADATA_VERSION)));
    for (const [name, level] of next) this.levels.set(name, level);
    return null;
  }

  private reasonInvalid(u: FeatureUpdate): string | null {
    const invalid = (why: string) => `Invalid update version ${u.level} for feature ${u.feature}. ${why}`;
    if (u.upgradeType !== UpgradeType.UPGRADE && u.upgradeType !== UpgradeType.SAFE_DOWNGRADE && u.upgradeType !== UpgradeType.UNSAFE_DOWNGRADE) {
      return invalid("The controller does not support the given upgrade type.");
    }
    if (u.level < 0) return invalid("A feature version cannot be less than 0.");
    const f = FEATURES.find((x) => x.name === u.feature);
    const [min, max] = f ? [f.minSupported, f.maxSupported] : [0, 0];
    if (u.level < min || u.level > max) {
      return invalid(max === 0 ? `Local controller ${this.nodeId} does not support this feature.` : `Local controller ${this.nodeId} only supports versions ${min}-${max}`);
    }
    const current = this.level(u.feature);
    if (u.level < current && u.upgradeType === UpgradeType.UPGRADE) {
      return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.");
    }
    if (u.level > current && u.upgradeType !== UpgradeType.UPGRADE) return invalid("Can't downgrade to a newer version.");
    if (u.feature === METADATA_VERSION) {
      if (u.level >= current) return null;
      const why = u.upgradeType === UpgradeType.UNSAFE_DOWNGRADE ? "Unsafe metadata downgrade is not supported in this version." : "Refusing to perform the requested downgrade because it might delete metadata information.";
      return `Unsupported metadata.version downgrade from ${current} to ${u.level}. ${why}`;
    }
    if (!f && !OTHER_KAFKA_FEATURES.has(u.feature)) return invalid(`Feature ${u.feature} not found.`);
    return null;
  }
}
