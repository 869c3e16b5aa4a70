/**
 * UpdateFeatures (key 57), v0–2.
 *
 * Behaviour (Kafka 4.4's, probed 2026-12-02; the checks are features.ts'): every update is validated
 * in order and the first invalid one fails the whole request with INVALID_UPDATE_VERSION and Kafka's
 * message ("The update failed for all features since ..."): an unknown feature ("does not support
 * this feature"), a level outside the supported range ("only supports versions a-b"), a level below
 * 0, an unknown upgrade type, a downgrade with upgrade type UPGRADE, an upgrade with a downgrade type,
 * any metadata.version downgrade. Otherwise the new levels are persisted and take effect (ApiVersions'
 * finalized features) before the answer, or nothing changes with `validate_only`. Success answers
 * v0–1 with one result per feature (error code 0, message "NONE" as Kafka sends) and v2 with none.
 * v0 has no upgrade type: Kafka 4.4 treats every v0 update as UPGRADE whatever `allow_downgrade`
 * says, so a v0 downgrade fails; so here. `timeout_ms` is ignored (the change is local).
 *
 * Leaves out: feature dependencies (none between the features this broker can change).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { UpgradeType } from "../features.js";

export default defineHandler({
  apiKey: ApiKey.UpdateFeatures,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const updates = req.featureUpdates.map((u) => ({ feature: u.feature, level: u.maxVersionLevel, upgradeType: ctx.apiVersion === 0 ? UpgradeType.UPGRADE : u.upgradeType }));
    const error = await ctx.features.update(updates, ctx.apiVersion >= 1 && req.validateOnly);
    if (error) return { throttleTimeMs: 0, ...error, results: [] };
    const names = [...new Set(req.featureUpdates.map((u) => u.feature))];
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: ctx.apiVersion <= 1 ? names.map((feature) => ({ feature, errorCode: ErrorCode.NONE, errorMessage: "NONE" })) : [] };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] };
  },
});
