/**
 * The range of times the store writes: year 1 to year 9999. PostgreSQL's timestamptz reaches further,
 * but ISO text past 9999 carries a sign and six digits (`+010000-01-01T...`) that PostgreSQL misreads
 * ("time zone displacement out of range"), and `Infinity` (a `maxAge: Infinity` cookie) is no Date at
 * all. A later expiry is the latest one: such a session never expires in practice.
 */
const earliest = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
const latest = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/**
 * A time (ms since the epoch, or a Date) as the store writes it: clamped into the range above, so that
 * every path (one row or a batch, pg or Prisma) stores the same instant.
 * @throws RangeError for NaN or an invalid Date: no instant to store
 */
export function storableTime(time: number | Date, what = "session expiry"): Date {
  const ms = typeof time === "number" ? time : time.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid time`);
  if (ms >= earliest && ms <= latest) return typeof time === "number" ? new Date(ms) : time;
  return new Date(Math.min(Math.max(ms, earliest), latest));
}
