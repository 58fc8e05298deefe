// The public API: what the CLI and embedders use. Tests reach internals by relative path from src.

export { createAccount } from './accounts/accounts.js';
export { type AppOptions, createApp } from './app.js';
export { DEFAULT_LIMITS, type Limits } from './config.js';
export { type KeyKind, requireAccount } from './http/auth.js';
export type { OdpkitContext } from './http/context.js';
export { type ErrorDetail, sendError } from './http/errors.js';
export { backupSqlite } from './lifecycle/backup.js';
export { parseDuration } from './lifecycle/duration.js';
export { type EventReader, openEventReader } from './lifecycle/event-reader.js';
export { type EventSource, type ExportRange, exportChunks, parseTime, WHOLE_HISTORY } from './lifecycle/export.js';
export { DEFAULT_DB, openStore, type RunningServer, type ServerOptions, startServer } from './server.js';
export { openPostgresStore, type PostgresStoreOptions } from './store/postgres/pg-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export type {
  Account,
  CustomerDeletion,
  ExportedEvent,
  ExportPage,
  IngestBatch,
  IngestOutcome,
  PreparedEvent,
  Store,
} from './store/store.js';
