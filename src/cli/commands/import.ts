import { startProgress, type Progress } from "../progress.ts";
import { PgSessionStore } from "../../adapters/express-session/pg-session-store.ts";
import type { HashIdsOption } from "../../adapters/express-session/id-hasher.ts";
import { importSessions } from "../../adapters/express-session/import-sessions.ts";
import type { ImportSummary } from "../../migration/import-sessions.ts";
import type { SourceStoreName } from "../../migration/source-format.ts";
import { createEncryptingSerializer, parseEncryptionKeys } from "../../serialization/encrypting-serializer.ts";
import { superjsonSerializer, type Serializer } from "../../serialization/serializer.ts";
import type { Command } from "../command-context.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { keysVariable } from "./rekey.ts";

/** Where `import --hash-ids hmac` reads the secret of `hashIds: { secret }`: never from the command line. */
export const hashSecretVariable = "SESSION_HASH_IDS_SECRET";

export interface ImportSettings {
  /** `--from` */
  from: string | undefined;
  /** `--source-table` */
  sourceTable: string | undefined;
  /** `--hash-ids`: `sha256` (hashIds: true) or `hmac` (hashIds: { secret } from $SESSION_HASH_IDS_SECRET). */
  hashIds: string | undefined;
  /** `--encrypt`: encrypt with $SESSION_ENCRYPTION_KEYS, as createEncryptingSerializer does. */
  encrypt: boolean;
  /** The environment's SESSION_ENCRYPTION_KEYS and SESSION_HASH_IDS_SECRET. */
  keys: string | undefined;
  hashSecret: string | undefined;
  /** `--after`: refused (import prints no resume key: an old row's key can be a live session id). */
  after?: string | undefined;
}

function hashIdsOf(settings: ImportSettings): HashIdsOption {
  if (settings.hashIds === undefined) return false;
  if (settings.hashIds === "sha256") return true;
  if (settings.hashIds === "hmac") {
    if (settings.hashSecret === undefined || settings.hashSecret === "") {
      throw new UsageError(`--hash-ids hmac reads the secret of hashIds: { secret } from ${hashSecretVariable}, which is not set`);
    }
    return { secret: settings.hashSecret };
  }
  throw new UsageError(`--hash-ids must be sha256 (hashIds: true) or hmac (hashIds: { secret }), got ${JSON.stringify(settings.hashIds)}`);
}

function serializerOf(settings: ImportSettings): Serializer {
  if (!settings.encrypt) {
    if (settings.keys !== undefined && settings.keys.trim() !== "") {
      process.stderr.write(`${keysVariable} is set but --encrypt is not given: the sessions are imported unencrypted\n`);
    }
    return superjsonSerializer;
  }
  if (settings.keys === undefined || settings.keys.trim() === "") {
    throw new UsageError(`--encrypt reads its keys from ${keysVariable} (id:key[,id:key...], the first encrypting), which is not set`);
  }
  return createEncryptingSerializer({ keys: parseEncryptionKeys(settings.keys, keysVariable) });
}

/**
 * `import --from connect-pg-simple|prisma-session-store [--source-table T] [--dry-run] [--batch-size N]
 * [--hash-ids sha256|hmac] [--encrypt]`: copies the live sessions of the old store's table into the
 * sessions table, as PgSessionStore with the same `hashIds` and serializer would have written them
 * (see `importSessions`). The old table is only read; rows already here are never overwritten, so the
 * command can be run again at any time. Ctrl-C (SIGINT/SIGTERM) stops after the batch in progress; to
 * continue, run it again: what is already here is skipped and counted. No old row's key is printed
 * (for connect-pg-simple it is a live session id), not even to resume.
 * @throws UsageError for bad settings, before any SQL
 */
export function importCommand(settings: ImportSettings): Command {
  if (settings.after !== undefined) {
    throw new UsageError("import has no --after: run it again to continue; the sessions already imported are skipped and counted");
  }
  if (settings.from === undefined) throw new UsageError("import needs --from connect-pg-simple or --from prisma-session-store");
  const from = settings.from as SourceStoreName;
  const hashIds = hashIdsOf(settings);
  const serializer = serializerOf(settings);

  return async ({ store, output, options, now }) => {
    const clock = () => now().getTime();
    const adapter = new PgSessionStore({ store, serializer, hashIds, pruneSessionInterval: false, now: clock });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    let bar: Progress | undefined;
    let progress = { read: 0 };
    let summary: ImportSummary;
    try {
      summary = await importSessions(adapter, {
        from,
        sourceTable: settings.sourceTable,
        batchSize: options.batchSize,
        dryRun: options.dryRun,
        signal: controller.signal,
        now: clock,
        onStart: (total) => {
          bar = startProgress(output, "importing", total);
        },
        onProgress: (p) => {
          progress = p;
          bar?.update(p.read, () => `read ${p.read} of ${p.total}, ${options.dryRun ? "would import" : "imported"} ${p.imported}`);
        },
      });
    } catch (error) {
      bar?.stop();
      if (progress.read > 0) {
        process.stderr.write(
          `import stopped after ${progress.read} row(s); the batches before are imported. Run it again to continue: ` +
            "the sessions already here are skipped and counted\n",
        );
      }
      throw error;
    } finally {
      bar?.stop();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await adapter.close();
    }
    output.result(summary, describe);
    return summary.interrupted ? ExitCode.interrupted : ExitCode.ok;
  };
}

function describe(s: ImportSummary): string {
  const lines = [
    `${s.read} row(s) read from ${s.from}'s table ${s.sourceTable} into ${s.table}${s.dryRun ? " (dry run: nothing written)" : ""}`,
    `  ${s.dryRun ? "to import" : "imported"}: ${s.imported}`,
    `  already here, left as they are: ${s.skippedExisting}`,
    `  expired, skipped: ${s.skippedExpired}`,
    `  invalid, skipped: ${s.invalid}`,
  ];
  for (const row of s.invalidRows) lines.push(`    row ${row.sourceId}: ${row.reason}`);
  if (s.invalid > s.invalidRows.length) lines.push(`    ... and ${s.invalid - s.invalidRows.length} more`);
  if (s.interrupted) lines.push("interrupted: run it again to continue (the sessions already here are skipped and counted)");
  return lines.join("\n");
}
