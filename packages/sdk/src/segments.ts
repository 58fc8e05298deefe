// Qualified segments, a separate entry point so that an application that only sends events does not carry them.
export type { SegmentsFailure, SegmentsFailureReason, SegmentsResult, SegmentsSuccess } from './segments/result.js';
export { SegmentOption } from './segments/result.js';
export { createUserContext, fetchQualifiedSegments } from './segments/segments-api.js';
export { OdpUserContext } from './segments/user-context.js';
