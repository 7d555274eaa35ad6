/**
 * SQL expressions for the scale runs' filler rows: 32-hex-character ids (md5 of the row number, so they
 * never collide with the 32-character base64url ids of the measured sessions) and a ~1 KB JSON body.
 */
export const fillerId = "md5(i::text)";
export const fillerBlob = "repeat(md5(i::text), 28)";
export const fillerCookie = `'{"originalMaxAge":86400000,"httpOnly":true,"path":"/","expires":null}'`;
/** Expired an hour ago and earlier, one row per 10 ms: distinct expiries, as real sessions have. */
export const expiredAnHourAgo = "now() - interval '1 hour' - i * interval '10 milliseconds'";

export function series(from: number, to: number): string {
  return `generate_series(${Math.trunc(from)}, ${Math.trunc(to)}) AS i`;
}

/**
 * The users section's rows: ids md5('u' || i) (no collision with the expired filler's), row i belongs
 * to user `userOf(i)` (`u1`..`u<users>`, each with the same number of rows, give or take one), created
 * one second apart (newest last), active since, expiring in a day.
 */
export const userFillerId = "md5('u' || i::text)";
export function userOf(users: number): string {
  return `'u' || (1 + (i - 1) % ${Math.trunc(users)})::text`;
}
export const userFillerCreated = "now() - interval '1 hour' - i * interval '1 second'";
export const userFillerLastActive = "now() - (i % 3600) * interval '1 second'";
export const liveForADay = "now() + interval '1 day' + i * interval '10 milliseconds'";

/** The users section's INSERT … SELECT for one table (ours' columns, third migration). */
export function fillUserSessions(table: string, from: number, to: number, users: number): string {
  return (
    `INSERT INTO "${table}" (id, a_session, expires_at, user_id, created_at, last_active_at, user_agent, ip) ` +
    `SELECT ${userFillerId}, '{"json":{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}}', ${liveForADay}, ` +
    `${userOf(users)}, ${userFillerCreated}, ${userFillerLastActive}, 'Mozilla/5.0 (bench ' || (i % 7)::text || ')', ` +
    `'10.0.' || (i % 256)::text || '.' || (i / 256 % 256)::text ` +
    `FROM ${series(from, to)}`
  );
}
