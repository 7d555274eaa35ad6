import type { RowWrite } from "../coalescer/session-rows.ts";
import { storableTime } from "../table/storable-time.ts";

/**
 * A write with every time in the range the store writes (see storable-time.ts), checked per caller
 * before it can join a batch: a value that cannot be stored fails its own caller here, never a
 * statement shared with other users' writes. @throws RangeError for a time that is no instant
 */
export function storableWrite(op: RowWrite): RowWrite {
  switch (op.kind) {
    case "destroy":
      return op;
    case "touch": {
      const now = storableTime(op.now, "touch time");
      const expiresAt = storableTime(op.expiresAt);
      const staleBefore = storableTime(op.staleBefore, "touchAfter window");
      if (now === op.now && expiresAt === op.expiresAt && staleBefore === op.staleBefore) return op;
      return { ...op, now, expiresAt, staleBefore };
    }
    default: {
      const expiresAt = storableTime(op.expiresAt);
      const at = op.track === undefined ? undefined : storableTime(op.track.at, "write time");
      if (expiresAt === op.expiresAt && at === op.track?.at) return op;
      return { ...op, expiresAt, track: op.track === undefined ? undefined : { ...op.track, at: at! } };
    }
  }
}
