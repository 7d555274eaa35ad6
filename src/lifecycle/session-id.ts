import { randomBytes } from "node:crypto";
import { InvalidSessionIdError } from "../errors/store-errors.ts";

// Apache::Session::Generate::MD5's validation rule, anchored with \z semantics: JavaScript's `$`
// (without the m flag) does not match before a trailing newline as Perl's does, so "abc\n" is
// rejected here.
const hexId = /^[a-fA-F0-9]+$/;

/** A new id from the CSPRNG: `length` lowercase hex characters (4 bits each; 32 = 128 bits). */
export function generateSessionId(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString("hex")
    .slice(0, length);
}

/** Validates a supplied id before any SQL: hex only, at most `maxLength` characters. */
export function assertSessionId(id: unknown, maxLength: number, table: string): asserts id is string {
  if (typeof id !== "string" || !hexId.test(id) || id.length > maxLength) {
    throw new InvalidSessionIdError(`Invalid session ID: ${JSON.stringify(id)}`, {
      sessionId: typeof id === "string" ? id : undefined,
      table,
    });
  }
}
