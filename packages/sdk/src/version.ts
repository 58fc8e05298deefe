// Kept by hand in step with package.json (a test asserts they match): sent on every event as data_source_version.
export const SDK_VERSION = '0.1.0';
