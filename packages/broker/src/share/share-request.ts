/**
 * What ShareFetch (78) and ShareAcknowledge (79) check first, alike: a group id and a member id, else
 * the whole request fails with a top-level error (INVALID_GROUP_ID, INVALID_REQUEST) and no partition.
 */
import { ErrorCode } from "@odradek/codec";

/** A response of either API that carries only a top-level error. */
export function shareTopLevelError(errorCode: number, errorMessage: string) {
  return { throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
}

/** The request's group and member ids, or the top-level error response when one is missing. */
export function shareIds(req: { groupId: string | null; memberId: string | null }): { groupId: string; memberId: string } | ReturnType<typeof shareTopLevelError> {
  const groupId = req.groupId ?? "";
  const memberId = req.memberId ?? "";
  if (groupId === "") return shareTopLevelError(ErrorCode.INVALID_GROUP_ID, "the group id is empty");
  if (memberId === "") return shareTopLevelError(ErrorCode.INVALID_REQUEST, "the member id is empty");
  return { groupId, memberId };
}
