import { idsOf, type RowWrite } from "./session-rows.ts";

/**
 * Splits writes issued together into rounds that run one after the other, so that every id occurs at
 * most once per round and the writes to one id keep the order they were issued in: the k-th write to
 * an id goes into a round after the round of its (k-1)-th. Writes to different ids share rounds.
 */
export function writeRounds<W extends { op: RowWrite }>(writes: readonly W[]): W[][] {
  const lastRound = new Map<string, number>();
  const rounds: W[][] = [];
  for (const write of writes) {
    const keys = idsOf(write.op);
    let round = 0;
    for (const key of keys) round = Math.max(round, (lastRound.get(key) ?? -1) + 1);
    (rounds[round] ??= []).push(write);
    for (const key of keys) lastRound.set(key, round);
  }
  return rounds;
}
