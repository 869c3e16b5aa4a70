import { describe, expect, it } from "vitest";
import { LOG_CONFIG_DEFAULTS, LOG_CONFIG_KEYS, defaultLogConfig, parseLogConfig } from "@odradek/storage";
import { BrokerConfig, TOPIC_CONFIGS } from "./config.js";
import { logConfigsFor } from "./log-configs.js";

describe("the topic-config table", () => {
  const storage = TOPIC_CONFIGS.filter((d) => d.effect === "storage");

  it("its storage entries are exactly the keys storage reads, with storage's defaults", () => {
    expect(storage.map((d) => d.name).sort()).toEqual([...LOG_CONFIG_KEYS].sort());
    for (const d of storage) expect(d.default, d.name).toBe(LOG_CONFIG_DEFAULTS[d.name as keyof typeof LOG_CONFIG_DEFAULTS]);
  });

  it("an unconfigured broker gives a log Kafka's defaults, and a topic override reaches the log", () => {
    const broker = new BrokerConfig(new Map());
    expect(parseLogConfig(logConfigsFor(broker, new Map()))).toEqual(defaultLogConfig);
    const log = parseLogConfig(logConfigsFor(broker, new Map([["max.message.bytes", "2000"], ["compression.type", "zstd"]])));
    expect(log).toMatchObject({ maxMessageBytes: 2000, compressionType: "zstd" });
  });

  it("a broker synonym supplies a log's default (message.max.bytes → max.message.bytes)", () => {
    const broker = new BrokerConfig(new Map([["message.max.bytes", "5000"], ["log.message.timestamp.after.max.ms", "10"]]));
    expect(parseLogConfig(logConfigsFor(broker, new Map()))).toMatchObject({ maxMessageBytes: 5000, messageTimestampAfterMaxMs: 10 });
  });
});
