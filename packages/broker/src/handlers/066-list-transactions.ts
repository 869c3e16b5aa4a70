/**
 * ListTransactions (key 66), v0–2.
 *
 * Behaviour (Kafka's listTransactionStates): every transactional id the coordinator holds (not Dead),
 * filtered by state names (names Kafka does not know are echoed in `unknown_state_filters` and match
 * nothing), producer ids, v1+ `duration_filter` (open for at least that many ms; -1 = any) and v2+
 * `transactional_id_pattern` (a regular expression the whole id must match; an invalid one →
 * INVALID_REGULAR_EXPRESSION). Empty filters match everything.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { txnStateByName, TxnStates } from "../txn/txn-metadata.js";
import type { TxnState } from "../txn/txn-metadata.js";

export default defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const states = new Set<TxnState>();
    const unknownStateFilters: string[] = [];
    for (const name of req.stateFilters) {
      const s = txnStateByName(name);
      if (s && s.name === name) states.add(s);
      else unknownStateFilters.push(name);
    }
    let pattern: RegExp | null = null;
    if (ctx.apiVersion >= 2 && req.transactionalIdPattern !== null && req.transactionalIdPattern !== "") {
      try {
        pattern = new RegExp(`^(?:${req.transactionalIdPattern})$`);
      } catch {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
    }
    const producerIds = new Set(req.producerIdFilters.map(Number));
    const now = ctx.txns.clock.now();
    const duration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
    // A state filter naming only unknown states matches nothing.
    const nothing = req.stateFilters.length > 0 && states.size === 0;
    const lists = nothing ? [] : await ctx.txns.all((txns) => {
      const out: { transactionalId: string; producerId: bigint; transactionState: string }[] = [];
      for (const m of txns.values()) {
        if (m.state === TxnStates.Dead) continue;
        if (states.size > 0 && !states.has(m.state)) continue;
        if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
        if (duration >= 0 && (m.startMs < 0 || now - m.startMs < duration)) continue;
        if (pattern && !pattern.test(m.transactionalId)) continue;
        out.push({ transactionalId: m.transactionalId, producerId: BigInt(m.producerId), transactionState: m.state.name });
      }
      return out;
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: lists.flat() };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});
