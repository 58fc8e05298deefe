export { createOdpClient } from './client.js';
export { InvalidDatafileError, odpConfigFromDatafile } from './config/datafile.js';
export { OdpConfigError } from './options.js';
export { createFetchTransport } from './platform/fetch-transport.js';
export { createNodeTransport } from './platform/node-transport.js';
export { TimeoutError } from './platform/timeout-error.js';
export type { SegmentsFailure, SegmentsFailureReason, SegmentsResult, SegmentsSuccess } from './segments/result.js';
export { SegmentOption } from './segments/result.js';
export { OdpUserContext } from './segments/user-context.js';
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
