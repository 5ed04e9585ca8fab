export * from './events.js';
export * from './options.js';
export { PeerConnection } from './connection.js';
