import { startProgress } from "../progress.ts";
import { EncryptedPayloadError } from "../../serialization/encrypted-payload-error.ts";
import { parseEncryptionKeys, resolveKeys } from "../../serialization/encryption-keys.ts";
import { PayloadCipher } from "../../serialization/payload-cipher.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import type { Command } from "../command-context.ts";
import { UsageError } from "../exit-codes.ts";

/** Where `rekey` reads its keys: never from the command line, where `ps` and shell history would show them. */
export const keysVariable = "SESSION_ENCRYPTION_KEYS";

/** What `rekey` does with one stored payload. */
type Plan =
  | { kind: "current" }
  | { kind: "rekey"; text: string }
  | { kind: "encrypt"; text: string }
  | { kind: "plaintext" }
  | { kind: "undecryptable"; unknownKeyId: string | undefined }
  | { kind: "null" };

interface Counts {
  checked: number;
  rekeyed: number;
  encrypted: number;
  current: number;
  plaintext: number;
  undecryptable: number;
  nullPayloads: number;
  locked: number;
  gone: number;
}

/** The command's result (`--json`). In a dry run, `rekeyed` and `encrypted` are what would be. */
export interface RekeySummary extends Counts {
  keyId: string;
  dryRun: boolean;
  /** Key ids named by rows no configured key opens, with their numbers of rows. */
  unknownKeyIds: Record<string, number>;
  /**
   * Rows (NULL payloads aside) not under `keyId` when the run is over — in a dry run, now: 0 means the
   * older keys can go.
   */
  remaining: number;
}

function statementsFor(store: PostgresStore) {
  const t = store.table.sql;
  return {
    count: `SELECT count(*)::int AS n FROM ${t}`,
    // The same keyset order as `list`: ids after the last one seen, no lock.
    page: `SELECT id::text AS id, a_session FROM ${t} WHERE ($1::text IS NULL OR id > $1::bpchar) ORDER BY id LIMIT $2`,
    // Rows a unit of work holds are skipped, not waited for (and the app is never blocked on them for long: one batch).
    lock: `SELECT id::text AS id, a_session FROM ${t} WHERE id = ANY($1::bpchar[]) FOR UPDATE SKIP LOCKED`,
    update: `UPDATE ${t} AS t SET a_session = v.a_session FROM unnest($1::bpchar[], $2::text[]) AS v(id, a_session) WHERE t.id = v.id`,
    exists: `SELECT id::text AS id FROM ${t} WHERE id = ANY($1::bpchar[])`,
  };
}

/**
 * `rekey [--dry-run] [--batch-size N] [--plaintext]`: re-encrypts every row with the first key of
 * $SESSION_ENCRYPTION_KEYS, a batch at a time. Each batch's rows to change are locked in one transaction
 * (`FOR UPDATE SKIP LOCKED`), re-read and rewritten from what they hold then, so a running app's units
 * of work are neither overwritten nor blocked for long; rows held by one are retried once at the end,
 * then counted as `locked`. Only the ciphertext changes (the decrypted text is sealed again as is; the
 * session data is not decoded). Rows under the first key are checked and left alone, rows no key
 * opens are counted and left alone, and plaintext rows are encrypted only with `--plaintext`.
 * @throws UsageError when the variable is unset; TypeError / RangeError for a malformed key list
 */
export function rekey(settings: { keys: string | undefined; plaintext: boolean }): Command {
  if (settings.keys === undefined || settings.keys.trim() === "") {
    throw new UsageError(
      `rekey reads its keys from ${keysVariable} (id:key[,id:key...], the first encrypting), which is ${settings.keys === undefined ? "not set" : "empty"}`,
    );
  }
  const cipher = new PayloadCipher(resolveKeys(parseEncryptionKeys(settings.keys, keysVariable)));
  const keyId = cipher.currentKeyId;

  const plan = (payload: string | null): Plan => {
    if (payload === null) return { kind: "null" };
    if (!PayloadCipher.isSealed(payload)) return settings.plaintext ? { kind: "encrypt", text: payload } : { kind: "plaintext" };
    try {
      const opened = cipher.open(payload);
      return opened.keyId === keyId ? { kind: "current" } : { kind: "rekey", text: opened.text };
    } catch (error) {
      if (!(error instanceof EncryptedPayloadError)) throw error;
      return { kind: "undecryptable", unknownKeyId: error.reason === "unknown-key" ? error.keyId : undefined };
    }
  };

  return async ({ store, output, options }) => {
    const sql = statementsFor(store);
    const counts: Counts = {
      checked: 0,
      rekeyed: 0,
      encrypted: 0,
      current: 0,
      plaintext: 0,
      undecryptable: 0,
      nullPayloads: 0,
      locked: 0,
      gone: 0,
    };
    const unknownKeyIds = new Map<string, number>();
    const tally = (step: Plan) => {
      if (step.kind === "current") counts.current += 1;
      else if (step.kind === "rekey") counts.rekeyed += 1;
      else if (step.kind === "encrypt") counts.encrypted += 1;
      else if (step.kind === "plaintext") counts.plaintext += 1;
      else if (step.kind === "null") counts.nullPayloads += 1;
      else {
        counts.undecryptable += 1;
        if (step.unknownKeyId !== undefined) unknownKeyIds.set(step.unknownKeyId, (unknownKeyIds.get(step.unknownKeyId) ?? 0) + 1);
      }
    };

    // One transaction: lock what is still free, decide again on what the rows hold now, rewrite.
    // @returns the ids it could not lock (held by a unit of work, or deleted meanwhile)
    const rewrite = async (ids: string[]): Promise<string[]> => {
      const { steps, free } = await store.transaction(async (tx) => {
        const rows = await tx.query<{ id: string; a_session: string | null }>(sql.lock, [ids]);
        const steps = rows.map((row) => ({ id: row.id, step: plan(row.a_session) }));
        const changes = steps.flatMap(({ id, step }) =>
          step.kind === "rekey" || step.kind === "encrypt" ? [{ id, payload: cipher.seal(step.text) }] : [],
        );
        if (changes.length > 0) await tx.execute(sql.update, [changes.map((c) => c.id), changes.map((c) => c.payload)]);
        return { steps, free: new Set(rows.map((row) => row.id)) };
      });
      for (const { step } of steps) tally(step);
      return ids.filter((id) => !free.has(id));
    };

    const [{ n: total } = { n: 0 }] = await store.query<{ n: number }>(sql.count, []);
    const progress = startProgress(output, "rekeying", total);
    const skipped: string[] = [];
    try {
      let after: string | null = null;
      for (;;) {
        const rows: Array<{ id: string; a_session: string | null }> = await store.query(sql.page, [after, options.batchSize]);
        if (rows.length === 0) break;
        after = rows[rows.length - 1]!.id;
        counts.checked += rows.length;
        const toChange: string[] = [];
        for (const row of rows) {
          const step = plan(row.a_session);
          if ((step.kind === "rekey" || step.kind === "encrypt") && !options.dryRun) toChange.push(row.id);
          else tally(step);
        }
        if (toChange.length > 0) skipped.push(...(await rewrite(toChange)));
        progress.update(
          counts.checked,
          () =>
            `checked ${counts.checked} of ${total}, ${options.dryRun ? "would re-encrypt" : "re-encrypted"} ${counts.rekeyed + counts.encrypted}`,
        );
        if (rows.length < options.batchSize) break;
      }
      // Rows a unit of work held: once more now; those still held are counted, never waited for.
      for (let i = 0; i < skipped.length; i += options.batchSize) {
        const chunk = skipped.slice(i, i + options.batchSize);
        const still = await rewrite(chunk);
        if (still.length === 0) continue;
        const existing = await store.query<{ id: string }>(sql.exists, [still]);
        counts.locked += existing.length;
        counts.gone += still.length - existing.length;
      }
    } finally {
      progress.stop();
    }

    const summary: RekeySummary = {
      keyId,
      dryRun: options.dryRun,
      ...counts,
      unknownKeyIds: Object.fromEntries(unknownKeyIds),
      remaining: counts.plaintext + counts.undecryptable + counts.locked + (options.dryRun ? counts.rekeyed + counts.encrypted : 0),
    };
    output.result(summary, () => describe(summary, settings.plaintext));
  };
}

function describe(s: RekeySummary, plaintextOption: boolean): string {
  const lines = [`${s.checked} row(s) checked for key ${JSON.stringify(s.keyId)}${s.dryRun ? " (dry run: nothing written)" : ""}`];
  lines.push(`  ${s.dryRun ? "to re-encrypt" : "re-encrypted"} from an older key: ${s.rekeyed}`);
  if (plaintextOption) lines.push(`  plaintext ${s.dryRun ? "to encrypt" : "encrypted"}: ${s.encrypted}`);
  lines.push(`  already under ${JSON.stringify(s.keyId)}: ${s.current}`);
  if (s.plaintext > 0) lines.push(`  plaintext, left as is: ${s.plaintext} (--plaintext encrypts them)`);
  if (s.undecryptable > 0) {
    const unknown = Object.entries(s.unknownKeyIds).map(([id, n]) => `${id} ×${n}`);
    lines.push(`  undecryptable, left as is: ${s.undecryptable}${unknown.length > 0 ? ` (unknown key ids: ${unknown.join(", ")})` : ""}`);
  }
  if (s.locked > 0) lines.push(`  held by a unit of work, left for now: ${s.locked} (run rekey again)`);
  if (s.nullPayloads > 0) lines.push(`  NULL payload, left as is: ${s.nullPayloads}`);
  if (s.gone > 0) lines.push(`  deleted while rekeying: ${s.gone}`);
  lines.push(
    s.remaining === 0 ? `every row is under ${JSON.stringify(s.keyId)}` : `${s.remaining} row(s) not under ${JSON.stringify(s.keyId)}`,
  );
  return lines.join("\n");
}
