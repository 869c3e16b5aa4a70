export { startBroker, Broker } from "./broker.js";
export type { BrokerOptions, RunningBroker, Topic, PartitionState } from "./broker.js";
export { BrokerConfig, ConfigError, parseProperties, parseListener, BROKER_CONFIGS, TOPIC_CONFIGS } from "./config.js";
export type { Logger } from "./logger.js";
export { silentLogger } from "./logger.js";
export { defineHandler, HandlerRegistry } from "./registry.js";
export type { HandlerDefinition, RequestContext } from "./registry.js";
export { HANDLERS } from "./handlers/index.js";
