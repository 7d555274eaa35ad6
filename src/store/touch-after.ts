import type { RowWrite } from "../coalescer/session-rows.ts";
import { storableTime } from "../table/storable-time.ts";

/**
 * How much older than the new expiry the stored one may be before a save of unchanged data writes it:
 * `touchAfter` seconds, or by default min(60 s, a tenth of what is left of the session's life).
 */
export function touchAfterMs(touchAfter: number | undefined, expiresAt: number, now: number): number {
  if (touchAfter !== undefined) return touchAfter * 1000;
  return Math.min(60_000, (expiresAt - now) / 10);
}

/** The stored expiry is "recent enough" when the new one is at most `touchAfterMs` later. */
export function withinTouchAfter(touchAfter: number | undefined, storedExpiresAt: number, expiresAt: number, now: number): boolean {
  return expiresAt >= storedExpiresAt ? expiresAt - storedExpiresAt <= touchAfterMs(touchAfter, expiresAt, now) : false;
}

/**
 * The adapters' touch of a session whose data did not change: its expiry moves to `expiresAt` (and
 * `last_active_at` with it) only where the stored one is older than the touchAfter window allows.
 */
export function touchWrite(id: string, touchAfter: number | undefined, expiresAt: number, now: number): RowWrite {
  return {
    kind: "touch",
    id,
    now: new Date(now),
    expiresAt: storableTime(expiresAt),
    staleBefore: storableTime(expiresAt - touchAfterMs(touchAfter, expiresAt, now), "touchAfter window"),
    track: true,
  };
}
