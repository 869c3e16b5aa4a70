/**
 * AlterClientQuotas (key 49), v0–1.
 *
 * Behaviour (Kafka 4.4's, probed 2026-12-02; client-quotas.ts): each entry sets or removes quotas of
 * one entity (user, client-id, user + client-id, or ip; a null name is the default entity) and gets
 * its own result, one per distinct entity: INVALID_REQUEST with Kafka's message for an empty entity,
 * an unknown type, an empty name, IP combined with user/client-id, an IP that is neither a literal nor
 * resolvable, a key the entity type does not take, a value <= 0, a fractional or too large value for
 * an integral quota, a key given twice, an entity named twice ("Ignoring duplicate entity"). The
 * valid entries apply (persisted before the answer) unless `validate_only`; removing an entity's
 * last quota removes the entity. Results in the order entities are first named (Kafka's order is
 * its hash map's).
 *
 * Leaves out: enforcement (no throttling anywhere, SKIPPED.md).
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    return { throttleTimeMs: 0, entries: await ctx.clientQuotas.alter(req.entries, req.validateOnly) };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })) };
  },
});
