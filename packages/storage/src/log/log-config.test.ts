import { describe, expect, it } from "vitest";
import { defaultLogConfig, LOG_CONFIG_DEFAULTS, parseLogConfig } from "./log-config.js";

describe("LogConfig", () => {
  it("defaultLogConfig is Kafka's defaults, read from LOG_CONFIG_DEFAULTS", () => {
    expect(defaultLogConfig).toEqual({
      segmentBytes: 1024 * 1024 * 1024,
      segmentMs: 7 * 24 * 3600 * 1000,
      segmentJitterMs: 0,
      segmentIndexBytes: 10 * 1024 * 1024,
      indexIntervalBytes: 4096,
      retentionMs: 7 * 24 * 3600 * 1000,
      retentionBytes: -1,
      cleanupPolicy: ["delete"],
      deleteRetentionMs: 24 * 3600 * 1000,
      flushMessages: Infinity,
      flushMs: Infinity,
      messageTimestampType: "CreateTime",
      messageTimestampBeforeMaxMs: 2 ** 63,
      messageTimestampAfterMaxMs: 3_600_000,
      compressionType: "producer",
      maxMessageBytes: 1_048_588,
      maxProducerSnapshots: 2,
    });
  });

  it("every key of LOG_CONFIG_DEFAULTS sets a field", () => {
    for (const [key, value] of Object.entries(LOG_CONFIG_DEFAULTS)) {
      const other = key === "cleanup.policy" ? "compact" : key === "message.timestamp.type" ? "LogAppendTime" : key === "compression.type" ? "zstd" : String(Number(value === "9223372036854775807" ? 5 : value) + 1);
      expect(parseLogConfig({ [key]: other }), key).not.toEqual(defaultLogConfig);
    }
  });
});
