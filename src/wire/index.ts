export * from './errors.js';
export * from './bytes.js';
export * from './framing.js';
export * from './peer.js';
export * from './file.js';
export * from './udp.js';
export * from './v5-crypt.js';
export * from './udp-v5.js';
