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
