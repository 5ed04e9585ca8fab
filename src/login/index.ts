export * from './types.js';
export * from './options.js';
export { LoginSession, type LoginState } from './session.js';
export { RetransmitQueue, type RetransmitOptions } from './retransmit.js';
export { RecentSeqs } from './dedup.js';
