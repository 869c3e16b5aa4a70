/**
 * `listeners` and `listener.security.protocol.map` as dynamic per-broker configs (Kafka's
 * DynamicListenerConfig), checked as Kafka 4.4 checks a new value and in its order (each message as
 * kafka-configs --alter shows it against a Kafka 4.4 broker):
 *   1. every map entry is `NAME:PROTOCOL` with a known security protocol;
 *   2. every listener parses as `NAME://host:port`, its name is in the map, names are unique, and no
 *      two listeners share a port;
 *   3. the names of a static `advertised.listeners` (not dynamic in 4.4) are among the new listeners
 *      (without one, the first static listener's name: the one this broker advertises);
 *   4. an existing listener keeps its security protocol;
 * then odradek's own limit: it serves PLAINTEXT only, so a listener of another protocol is refused.
 *
 * Effect, as Kafka 4.4 on a single node: a listener name that is new opens (on its host and port), a
 * name no longer listed closes (its connections answer what they received, then close); a listener
 * whose name stays keeps its socket even if its host or port changed (Kafka re-binds only on restart).
 * Nothing is advertised anew: Metadata keeps answering with the advertised listener.
 */
import type { BrokerConfig } from "./config.js";

export interface ListenerEndpoint {
  /** Upper-cased, as Kafka's ListenerName. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
const ENDPOINT = /^([A-Za-z0-9_-]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

const entries = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** `listener.security.protocol.map` as name → protocol, or Kafka's message for a bad entry. */
export function parseProtocolMap(value: string): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const e of entries(value)) {
    const i = e.lastIndexOf(":");
    const protocol = i < 0 ? e : e.slice(i + 1).trim();
    if (i < 0 || !SECURITY_PROTOCOLS.includes(protocol.toUpperCase())) return `Invalid security protocol \`${protocol}\` defined in listener.security.protocol.map`;
    out.set(e.slice(0, i).trim().toUpperCase(), protocol.toUpperCase());
  }
  return out;
}

/** One `NAME://host:port` (an IPv6 host in brackets; an empty host: every interface), or null. */
export function parseEndpoint(e: string): ListenerEndpoint | null {
  const m = ENDPOINT.exec(e);
  if (!m) return null;
  const host = m[2]!.startsWith("[") ? m[2]!.slice(1, -1) : m[2]!;
  return { name: m[1]!.toUpperCase(), host, port: Number(m[3]) };
}

/** `listeners` as endpoints (unchecked against a map), or Kafka's message for one that does not parse. */
export function parseEndpoints(value: string): ListenerEndpoint[] | string {
  const list = entries(value);
  const out: ListenerEndpoint[] = [];
  for (const e of list) {
    const endpoint = parseEndpoint(e);
    if (!endpoint) return `Error creating broker listeners from '[${list.join(", ")}]': Unable to parse ${e} to a broker endpoint`;
    out.push(endpoint);
  }
  return out;
}

/** The listeners in effect (dynamic over static over the default). */
export function effectiveListeners(config: BrokerConfig): ListenerEndpoint[] {
  const l = parseEndpoints(config.get("listeners") ?? "");
  return typeof l === "string" ? [] : l;
}

/**
 * Why this broker's new dynamic set (`next`, this node's resource) makes an invalid listener
 * configuration, or null. Only checked when the set changes one of the two listener configs.
 */
export function invalidListenerUpdate(config: BrokerConfig, next: ReadonlyMap<string, string>): string | null {
  const value = (name: string) => next.get(name) ?? config.dynamicDefault.get(name) ?? config.explicit.get(name) ?? config.get(name) ?? "";
  const map = parseProtocolMap(value("listener.security.protocol.map"));
  if (typeof map === "string") return map;
  const raw = value("listeners");
  const list = entries(raw);
  const endpoints = parseEndpoints(raw);
  if (typeof endpoints === "string") return endpoints;
  const fail = (why: string) => `Error creating broker listeners from '[${list.join(", ")}]': ${why}`;
  const unmapped = endpoints.find((e) => !map.has(e.name));
  if (unmapped) return fail(`No security protocol defined for listener ${unmapped.name}`);
  if (new Set(endpoints.map((e) => e.name)).size !== endpoints.length) return fail(`Each listener must have a different name, listeners: [${list.join(", ")}]`);
  const shared = endpoints.find((e, i) => endpoints.findIndex((o) => o.port === e.port) !== i);
  if (shared) return fail(`If you have two listeners on the same port then one needs to be IPv4 and the other IPv6, listeners: [${list.join(", ")}], port: ${shared.port}`);
  const names = endpoints.map((e) => e.name);
  // Without a static advertised.listeners this broker advertises its first static listener (Kafka: all of them).
  const adv = parseEndpoints(config.explicit.get("advertised.listeners") ?? config.explicit.get("listeners")?.split(",")[0] ?? "PLAINTEXT://:0");
  {
    const missing = typeof adv === "string" ? [] : adv.map((e) => e.name).filter((n) => !names.includes(n));
    if (missing.length > 0) return `requirement failed: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${missing.join(",")}. The valid options based on the current configuration are ${names.join(",")}`;
  }
  const oldMap = parseProtocolMap(config.get("listener.security.protocol.map") ?? "");
  for (const e of effectiveListeners(config)) {
    if (names.includes(e.name) && typeof oldMap !== "string" && oldMap.get(e.name) !== undefined && oldMap.get(e.name) !== map.get(e.name)) {
      return `Invalid value org.apache.kafka.common.config.ConfigException: Security protocol cannot be updated for existing listener ListenerName(${e.name}) for configuration Invalid dynamic configuration`;
    }
  }
  const other = endpoints.find((e) => map.get(e.name) !== "PLAINTEXT");
  if (other) return `Invalid dynamic configuration: listener ${other.name} uses security protocol ${map.get(other.name)}; this broker serves PLAINTEXT only`;
  return null;
}
