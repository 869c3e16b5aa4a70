/**
 * The handlers this broker serves, one file per API key. ApiVersions and the dispatch table are
 * built from this list; an API missing here is not advertised and closes a connection that uses it.
 */
import type { HandlerDefinition } from "../registry.js";
import produce from "./000-produce.js";
import fetch from "./001-fetch.js";
import listOffsets from "./002-list-offsets.js";
import metadata from "./003-metadata.js";
import offsetCommit from "./008-offset-commit.js";
import offsetFetch from "./009-offset-fetch.js";
import findCoordinator from "./010-find-coordinator.js";
import joinGroup from "./011-join-group.js";
import heartbeat from "./012-heartbeat.js";
import leaveGroup from "./013-leave-group.js";
import syncGroup from "./014-sync-group.js";
import describeGroups from "./015-describe-groups.js";
import listGroups from "./016-list-groups.js";
import apiVersions from "./018-api-versions.js";
import createTopics from "./019-create-topics.js";
import deleteTopics from "./020-delete-topics.js";
import deleteRecords from "./021-delete-records.js";
import initProducerId from "./022-init-producer-id.js";
import offsetForLeaderEpoch from "./023-offset-for-leader-epoch.js";
import addPartitionsToTxn from "./024-add-partitions-to-txn.js";
import addOffsetsToTxn from "./025-add-offsets-to-txn.js";
import endTxn from "./026-end-txn.js";
import writeTxnMarkers from "./027-write-txn-markers.js";
import txnOffsetCommit from "./028-txn-offset-commit.js";
import describeConfigs from "./032-describe-configs.js";
import alterConfigs from "./033-alter-configs.js";
import alterReplicaLogDirs from "./034-alter-replica-log-dirs.js";
import describeLogDirs from "./035-describe-log-dirs.js";
import createPartitions from "./037-create-partitions.js";
import incrementalAlterConfigs from "./044-incremental-alter-configs.js";
import deleteGroups from "./042-delete-groups.js";
import electLeaders from "./043-elect-leaders.js";
import alterPartitionReassignments from "./045-alter-partition-reassignments.js";
import listPartitionReassignments from "./046-list-partition-reassignments.js";
import offsetDelete from "./047-offset-delete.js";
import describeClientQuotas from "./048-describe-client-quotas.js";
import alterClientQuotas from "./049-alter-client-quotas.js";
import describeQuorum from "./055-describe-quorum.js";
import updateFeatures from "./057-update-features.js";
import describeCluster from "./060-describe-cluster.js";
import describeProducers from "./061-describe-producers.js";
import describeTransactions from "./065-describe-transactions.js";
import listTransactions from "./066-list-transactions.js";
import listConfigResources from "./074-list-config-resources.js";
import describeTopicPartitions from "./075-describe-topic-partitions.js";
import consumerGroupHeartbeat from "./068-consumer-group-heartbeat.js";
import consumerGroupDescribe from "./069-consumer-group-describe.js";
import shareGroupHeartbeat from "./076-share-group-heartbeat.js";
import shareGroupDescribe from "./077-share-group-describe.js";
import shareFetch from "./078-share-fetch.js";
import shareAcknowledge from "./079-share-acknowledge.js";
import describeShareGroupOffsets from "./090-describe-share-group-offsets.js";
import alterShareGroupOffsets from "./091-alter-share-group-offsets.js";
import deleteShareGroupOffsets from "./092-delete-share-group-offsets.js";

export const HANDLERS: readonly HandlerDefinition[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  offsetForLeaderEpoch,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  writeTxnMarkers,
  txnOffsetCommit,
  describeConfigs,
  alterConfigs,
  alterReplicaLogDirs,
  describeLogDirs,
  createPartitions,
  deleteGroups,
  electLeaders,
  incrementalAlterConfigs,
  alterPartitionReassignments,
  listPartitionReassignments,
  offsetDelete,
  describeClientQuotas,
  alterClientQuotas,
  describeQuorum,
  updateFeatures,
  describeCluster,
  describeProducers,
  describeTransactions,
  listTransactions,
  consumerGroupHeartbeat,
  consumerGroupDescribe,
  shareGroupHeartbeat,
  shareGroupDescribe,
  shareFetch,
  shareAcknowledge,
  describeShareGroupOffsets,
  alterShareGroupOffsets,
  deleteShareGroupOffsets,
  listConfigResources,
  describeTopicPartitions,
];

