/**
 * ListPartitionReassignments (key 46), v0: no reassignment is ever in progress on one node (a
 * reassignment to this broker completes at once), so the list is empty, for all topics or named ones,
 * as Kafka 4.4 answers.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, errorMessage: null, topics: [] };
  },
});
