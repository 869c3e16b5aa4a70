/**
 * Client quotas (KIP-546): the quotas set per user, client id, user + client id, or IP, with the
 * default entity of each type (name null), as Kafka's ClientQuotaControlManager (AlterClientQuotas)
 * and ClientQuotasImage (DescribeClientQuotas) keep them. Stored and persisted (the metadata
 * store's `clientQuotas`), not enforced: the broker throttles nobody (SKIPPED.md).
 *
 * Invariants:
 *  - an entity maps each of its types to a name or null (the default); an entity with no quota left
 *    is removed;
 *  - an alteration is applied entity by entity: an entity whose request has any invalid part changes
 *    nothing, the valid ones of the same request apply (Kafka's per-entity results); all the valid
 *    changes of one request become durable together before the answer;
 *  - quota keys and their types are Kafka's (QuotaConfig): user / client-id entities take
 *    producer_byte_rate, consumer_byte_rate (longs), request_percentage, controller_mutation_rate
 *    (doubles); IP entities take connection_creation_rate (an int).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ErrorCode } from "@odradek/codec";
import type { ClientQuotaStore } from "@odradek/storage";

export const USER = "user";
export const CLIENT_ID = "client-id";
export const IP = "ip";

type QuotaType = "long" | "double" | "int";
const USER_AND_CLIENT_QUOTAS: ReadonlyMap<string, QuotaType> = new Map([
  ["producer_byte_rate", "long"],
  ["consumer_byte_rate", "long"],
  ["request_percentage", "double"],
  ["controller_mutation_rate", "double"],
]);
const IP_QUOTAS: ReadonlyMap<string, QuotaType> = new Map([["connection_creation_rate", "int"]]);

/** DescribeClientQuotas' match types. */
export const MatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

export type QuotaEntity = Readonly<Record<string, string | null>>;

export interface QuotaAlteration {
  readonly entity: readonly { entityType: string; entityName: string | null }[];
  readonly ops: readonly { key: string; value: number; remove: boolean }[];
}

export interface EntityResult {
  readonly entity: { entityType: string; entityName: string | null }[];
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface DescribeFilter {
  readonly components: readonly { entityType: string; matchType: number; match: string | null }[];
  readonly strict: boolean;
}


const LONG_MAX = 9223372036854775807;
const INT_MAX = 2147483647;

/** Kafka's order of entity types in answers and messages (its HashMap's: client-id, user, ip). */
const TYPE_RANK: Record<string, number> = { [CLIENT_ID]: 0, [USER]: 1, [IP]: 2 };
function sortedTypes(entity: QuotaEntity): string[] {
  return Object.keys(entity).sort((a, b) => (TYPE_RANK[a] ?? 3) - (TYPE_RANK[b] ?? 3) || (a < b ? -1 : a > b ? 1 : 0));
}
function keyOf(entity: QuotaEntity): string {
  return JSON.stringify(sortedTypes(entity).map((t) => [t, entity[t]]));
}
export function entityData(entity: QuotaEntity): { entityType: string; entityName: string | null }[] {
  return sortedTypes(entity).map((entityType) => ({ entityType, entityName: entity[entityType] ?? null }));
}
/** Kafka's ClientQuotaEntity.toString. */
function describeEntity(entity: QuotaEntity): string {
  return `ClientQuotaEntity(entries={${sortedTypes(entity).map((t) => `${t}=${entity[t]}`).join(", ")}})`;
}

export class ClientQuotaControl {
  /** By keyOf(entity), in creation order. */
  private readonly quotas = new Map<string, { entity: QuotaEntity; values: Map<string, number> }>();

  constructor(private readonly store: ClientQuotaStore) {
    for (const e of store.clientQuotas()) this.quotas.set(keyOf(e.entity), { entity: { ...e.entity }, values: new Map(Object.entries(e.values)) });
  }

  /** AlterClientQuotas: one result per distinct entity (in the order first named). */
  async alter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<EntityResult[]> {
    const results = new Map<string, { entity: QuotaEntity; errorCode: number; errorMessage: string | null }>();
    const changes = new Map<string, { entity: QuotaEntity; ops: Map<string, number | null> }>();
    const fail = (entity: QuotaEntity, errorMessage: string) => results.set(keyOf(entity), { entity, errorCode: ErrorCode.INVALID_REQUEST, errorMessage });
    for (const a of alterations) {
      const entity: Record<string, string | null> = {};
      for (const e of a.entity) entity[e.entityType] = e.entityName;
      const key = keyOf(entity);
      const ops = new Map<string, number | null>();
      for (const op of a.ops) {
        if (ops.has(op.key)) fail(entity, `Duplicate quota key ${op.key} not updating quota for this entity ${describeEntity(entity)}`);
        else ops.set(op.key, op.remove ? null : op.value);
      }
      if (results.has(key)) {
        fail(entity, `Ignoring duplicate entity ${describeEntity(entity)}`);
        continue;
      }
      const error = await this.validate(entity, ops);
      if (error !== null) fail(entity, error);
      else {
        results.set(key, { entity, errorCode: ErrorCode.NONE, errorMessage: null });
        changes.set(key, { entity, ops });
      }
    }
    if (!validateOnly && changes.size > 0) await this.apply([...changes.values()]);
    return [...results.values()].map((r) => ({ entity: entityData(r.entity), errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  private async validate(entity: QuotaEntity, ops: ReadonlyMap<string, number | null>): Promise<string | null> {
    const types = Object.keys(entity);
    if (types.length === 0) return "Invalid empty client quota entity";
    for (const t of types) {
      if (t !== USER && t !== CLIENT_ID && t !== IP) return `Unhandled client quota entity type: ${t}`;
      if (entity[t] === "") return `Empty ${t} not supported`;
    }
    let keys: ReadonlyMap<string, QuotaType>;
    if (IP in entity) {
      if (USER in entity || CLIENT_ID in entity) return "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId";
      const ip = entity[IP] ?? null;
      if (ip !== null && !(await resolvable(ip))) return `${ip} is not a valid IP or resolvable host.`;
      keys = IP_QUOTAS;
    } else keys = USER_AND_CLIENT_QUOTAS;
    for (const [key, value] of ops) {
      if (value === null) continue;
      const type = keys.get(key);
      if (!type) return `Invalid configuration key ${key}`;
      if (!(value > 0)) return `Quota ${key} must be greater than 0`;
      if (type === "double") continue;
      if (type === "int" && value > INT_MAX) return `Proposed value for ${key} is too large for an INT.`;
      if (type === "long" && value > LONG_MAX) return `Proposed value for ${key} is too large for a LONG.`;
      if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
    }
    return null;
  }

  private async apply(changes: readonly { entity: QuotaEntity; ops: ReadonlyMap<string, number | null> }[]): Promise<void> {
    const next = new Map([...this.quotas].map(([k, q]) => [k, { entity: q.entity, values: new Map(q.values) }]));
    for (const { entity, ops } of changes) {
      const key = keyOf(entity);
      const q = next.get(key) ?? { entity, values: new Map<string, number>() };
      for (const [k, v] of ops) {
        if (v === null) q.values.delete(k);
        else q.values.set(k, v);
      }
      if (q.values.size === 0) next.delete(key);
      else next.set(key, q);
    }
    await this.store.setClientQuotas([...next.values()].map((q) => ({ entity: { ...q.entity }, values: Object.fromEntries(q.values) })));
    this.quotas.clear();
    for (const [k, q] of next) this.quotas.set(k, q);
  }

  /**
   * DescribeClientQuotas: the entities matching every component (EXACT: that name, DEFAULT: the
   * default entity, SPECIFIED: any name or the default), and with `strict` no other types.
   * @throws DescribeError for an invalid filter (Kafka's code and message)
   */
  describe(filter: DescribeFilter): { entity: { entityType: string; entityName: string | null }[]; values: { key: string; value: number }[] }[] {
    const exact = new Map<string, string | null>();
    const specified = new Set<string>();
    for (const c of filter.components) {
      const t = c.entityType;
      if (t === "") throw new DescribeError(ErrorCode.INVALID_REQUEST, "Invalid empty entity type.");
      if (exact.has(t) || specified.has(t)) throw new DescribeError(ErrorCode.INVALID_REQUEST, `Entity type ${t} cannot appear more than once in the filter.`);
      if (t !== IP && t !== USER && t !== CLIENT_ID) throw new DescribeError(ErrorCode.UNSUPPORTED_VERSION, `Unsupported entity type ${t}`);
      if (c.matchType === MatchType.EXACT) {
        if (c.match === null) throw new DescribeError(ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_EXACT, but set match string to null.");
        exact.set(t, c.match);
      } else if (c.matchType === MatchType.DEFAULT) {
        if (c.match !== null) throw new DescribeError(ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
        exact.set(t, null);
      } else if (c.matchType === MatchType.SPECIFIED) {
        if (c.match !== null) throw new DescribeError(ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
        specified.add(t);
      } else throw new DescribeError(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    }
    const has = (t: string) => exact.has(t) || specified.has(t);
    if (has(IP) && (has(USER) || has(CLIENT_ID))) {
      throw new DescribeError(ErrorCode.INVALID_REQUEST, "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.");
    }
    const out = [];
    for (const { entity, values } of this.quotas.values()) {
      if (filter.strict && Object.keys(entity).length !== exact.size + specified.size) continue;
      if ([...exact].some(([t, name]) => !(t in entity) || entity[t] !== name)) continue;
      if ([...specified].some((t) => !(t in entity))) continue;
      out.push({ entity: entityData(entity), values: [...values].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value })) });
    }
    return out;
  }
}

export class DescribeError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

/** Kafka's check: an IP literal or a name that resolves (InetAddress.getByName). */
async function resolvable(host: string): Promise<boolean> {
  if (isIP(host) !== 0) return true;
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}
