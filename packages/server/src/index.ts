export const SERVER_VERSION = '0.1.0';

export { createAccount, ensureDefaultAccount, generateKeys } from './accounts/accounts.js';
export { type AppOptions, createApp } from './app.js';
export { DEFAULT_LIMITS, type Limits } from './config.js';
export { authenticate, type KeyKind, requireAccount } from './http/auth.js';
export type { OdpkitContext } from './http/context.js';
export { errorBody, sendError } from './http/errors.js';
export { isDenied, isHighConfidence, normaliseKey, normaliseValue } from './ingest/identifiers.js';
export { MAX_IDENTIFIERS_PER_CUSTOMER, MAX_VALUES_PER_TYPE } from './ingest/stitch.js';
export { validateBatch } from './ingest/validate.js';
export { parseSegmentDefinition, parseSegmentFile } from './segments/definition.js';
export { type ApplyResult, type AudienceState, SegmentService } from './segments/service.js';
export { DEFAULT_DB, openStore, type RunningServer, type ServerOptions, startServer } from './server.js';
export { openPostgresStore, type PostgresStoreOptions } from './store/postgres/pg-store.js';
export { openSqliteStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.js';
export type {
  Account,
  AccountStats,
  CustomerView,
  DataValue,
  Identity,
  IngestBatch,
  IngestOutcome,
  PreparedEvent,
  SegmentDefinitionRow,
  Store,
  StoredEvent,
} from './store/store.js';
