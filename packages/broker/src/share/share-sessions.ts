/**
 * Share sessions (KIP-932): per (group, member), the partitions its ShareFetch requests cover and the
 * epoch its next request must carry. Epoch 0 opens a session (replacing one the member had), -1
 * closes it (only acknowledgements are allowed then), any other value must equal the expected epoch
 * (INVALID_SHARE_SESSION_EPOCH); a request for a session that does not exist →
 * SHARE_SESSION_NOT_FOUND. Each accepted request moves the expected epoch on by one (wrapping to 1
 * after INT32_MAX). Partitions are added by naming them in ShareFetch and removed by
 * ForgottenTopicsData. A closed or replaced session's acquired records are released by the caller.
 */
export interface ShareSession {
  groupId: string;
  memberId: string;
  epoch: number;
  /** "topicId:partition" keys. */
  partitions: Set<string>;
}

export const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;
export function splitPartitionKey(k: string): { topicId: string; partition: number } {
  const i = k.lastIndexOf(":");
  return { topicId: k.slice(0, i), partition: Number(k.slice(i + 1)) };
}

const nextEpoch = (e: number) => (e >= 0x7fffffff ? 1 : e + 1);

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  private key(groupId: string, memberId: string): string {
    return `${groupId}\0${memberId}`;
  }

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.sessions.get(this.key(groupId, memberId));
  }

  /**
   * Checks and advances the session for a request with `epoch`: the session, or an error code name.
   * `replaced` is a session that epoch 0 replaced (its records are to be released).
   */
  touch(groupId: string, memberId: string, epoch: number, allowOpen: boolean): { session?: ShareSession; replaced?: ShareSession; error?: "SHARE_SESSION_NOT_FOUND" | "INVALID_SHARE_SESSION_EPOCH" } {
    const k = this.key(groupId, memberId);
    const current = this.sessions.get(k);
    if (epoch === 0) {
      if (!allowOpen) return { error: "INVALID_SHARE_SESSION_EPOCH" };
      const session: ShareSession = { groupId, memberId, epoch: 1, partitions: new Set() };
      this.sessions.set(k, session);
      return { session, replaced: current };
    }
    if (!current) return { error: "SHARE_SESSION_NOT_FOUND" };
    if (epoch === -1) {
      this.sessions.delete(k);
      return { session: current };
    }
    if (epoch !== current.epoch) return { error: "INVALID_SHARE_SESSION_EPOCH" };
    current.epoch = nextEpoch(current.epoch);
    return { session: current };
  }

  /** Sessions of a member (it left the group): removed and returned. */
  removeMember(groupId: string, memberId: string): ShareSession | undefined {
    const k = this.key(groupId, memberId);
    const s = this.sessions.get(k);
    this.sessions.delete(k);
    return s;
  }
}
