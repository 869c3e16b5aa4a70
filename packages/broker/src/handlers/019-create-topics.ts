/**
 * CreateTopics (key 19), v2–7.
 *
 * Behaviour per topic, checks in Kafka's order: the same name twice in one request →
 * INVALID_REQUEST for it; illegal name (Kafka's rules: [a-zA-Z0-9._-], 1–249 chars, not "." or
 * "..") → INVALID_TOPIC_EXCEPTION; existing → TOPIC_ALREADY_EXISTS; a name equal to an existing one
 * once '.' and '_' are treated alike → INVALID_TOPIC_EXCEPTION; explicit assignments together with
 * num_partitions/replication_factor → INVALID_REQUEST; num_partitions -1 = `num.partitions`, other
 * values < 1 → INVALID_PARTITIONS; replication_factor -1 = `default.replication.factor`, < 1 or above
 * the broker count (1) → INVALID_REPLICATION_FACTOR; assignments must number partitions 0..n-1 and
 * name this broker only → INVALID_REPLICA_ASSIGNMENT; configs: unknown name or bad value →
 * INVALID_CONFIG, null value → INVALID_REQUEST. `validate_only` runs every check and creates nothing.
 * v5+ results carry partitions, replication factor and the topic's full config list; v7 the topic id.
 * A creation that fails in storage (e.g. EMFILE opening a partition log) is undone by the broker (no
 * log stays open, the topic is not in the metadata) and answered UNKNOWN_SERVER_ERROR for that topic.
 * Omitted: `timeout_ms` (creation is immediate), create-topic policies.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import type { CreateTopicsResponseCreatableTopicResultInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";
import { TopicExistsError, invalidTopicName } from "../topic-registry.js";
import { describeTopicConfigs, invalidTopicConfig } from "../config-describe.js";

const BROKER_COUNT = 1;

export default defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, req) {
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const results = await mapSeq(req.topics, async (t): Promise<CreateTopicsResponseCreatableTopicResultInput> => {
      const fail = (errorCode: number, errorMessage: string | null) => ({ name: t.name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: errorCode, numPartitions: -1, replicationFactor: -1, configs: null });
      if ((seen.get(t.name) ?? 0) > 1) return fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains multiple entries for the following topics: ${t.name}`);
      const bad = invalidTopicName(t.name);
      if (bad) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
      if (ctx.topics.hasTopic(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      const collides = ctx.topics.collidingTopic(t.name);
      if (collides) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${collides}`);
      let partitions = t.numPartitions;
      let rf = t.replicationFactor;
      if (t.assignments.length > 0) {
        if (partitions !== -1 || rf !== -1) return fail(ErrorCode.INVALID_REQUEST, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
        const indexes = t.assignments.map((a) => a.partitionIndex).sort((x, y) => x - y);
        if (indexes.some((p, i) => p !== i)) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Partitions should be a consecutive 0-based integer sequence");
        for (const a of t.assignments) {
          if (a.brokerIds.length === 0) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes an empty replica list.`);
          if (new Set(a.brokerIds).size !== a.brokerIds.length) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes duplicate broker IDs.");
          const unknown = a.brokerIds.find((id) => id !== ctx.node.nodeId);
          if (unknown !== undefined) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
        }
        partitions = t.assignments.length;
        rf = t.assignments[0]!.brokerIds.length;
      } else {
        if (partitions === -1) partitions = ctx.config.int("num.partitions");
        else if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.");
        if (rf === -1) rf = ctx.config.int("default.replication.factor");
        else if (rf < 1) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value.");
        if (rf > BROKER_COUNT) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${BROKER_COUNT} broker(s) are registered.`);
      }
      const bad2 = invalidTopicConfig(t.configs.map((c) => [c.name, c.value]));
      if (bad2) return fail(bad2.errorCode === "INVALID_CONFIG" ? ErrorCode.INVALID_CONFIG : ErrorCode.INVALID_REQUEST, bad2.message);
      const configs = new Map(t.configs.map((c) => [c.name, c.value!.trim()]));
      let topicId = ZERO_UUID;
      if (!req.validateOnly) {
        try {
          topicId = (await ctx.topics.createTopic(t.name, partitions, configs)).id;
        } catch (e) {
          if (e instanceof TopicExistsError) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, e.message);
          // The broker has undone the creation (TopicRegistry.createTopic); the other topics still get theirs.
          ctx.log.error({ topic: t.name, err: String(e) }, "topic creation failed");
          return fail(ErrorCode.UNKNOWN_SERVER_ERROR, `Topic '${t.name}' could not be created: ${(e as Error).message ?? String(e)}`);
        }
      }
      return {
        name: t.name,
        topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCode.NONE,
        numPartitions: partitions,
        replicationFactor: rf,
        configs: describeTopicConfigs(ctx.config, configs, null, false).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive })),
      };
    });
    return { throttleTimeMs: 0, topics: results };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, errorCode, numPartitions: -1, replicationFactor: -1, configs: null })) };
  },
});
