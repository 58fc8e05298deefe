// What every entry point exports besides its own createOdpClient: one API on every platform.
export type { CreateOdpClient } from './client.js';
export { InvalidDatafileError, odpConfigFromDatafile } from './config/datafile.js';
export { OdpConfigError } from './options.js';
export { createFetchTransport } from './platform/fetch-transport.js';
export { TimeoutError } from './platform/timeout-error.js';
export type {
  DeliverySummary,
  DirectOdpConfig,
  EventOutcome,
  EventStatus,
  FetchLike,
  FieldsOf,
  FlushOptions,
  IntegratedConfig,
  KeyValues,
  KeyValuesOf,
  Logger,
  LogLevel,
  OdpClient,
  OdpClientOptions,
  OdpConfigFromDatafile,
  OdpConfigState,
  OdpDataValue,
  OdpEvent,
  OutcomeCode,
  OutcomeCounts,
  OutcomeListener,
  SegmentOptionName,
  SendOdpEventInput,
  Transport,
  TransportRequest,
  TransportResponse,
} from './types.js';
export { SDK_VERSION } from './version.js';
