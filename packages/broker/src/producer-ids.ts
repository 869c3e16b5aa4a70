/**
 * ProducerIds: InitProducerId's ids (Kafka's ProducerIdManager). Ids come from blocks the metadata
 * store persists before handing out any id of them, so an id is never given twice, even across a
 * crash (the rest of an unfinished block is skipped). Ids are int64 on the wire, hence bigint.
 */
import type { BrokerMetadataStore } from "@odradek/storage";

export class ProducerIds {
  constructor(private readonly store: Pick<BrokerMetadataStore, "allocateProducerId">) {}

  /** A producer id never handed out before. */
  async next(): Promise<bigint> {
    return BigInt(await this.store.allocateProducerId());
  }
}
