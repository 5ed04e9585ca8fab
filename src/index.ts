export * from './wire/index.js';
export { IcqError, ErrorCode } from './errors.js';
