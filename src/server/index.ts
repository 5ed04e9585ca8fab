export { startServer, type IcqServer, type ServerStats, type ServerTestHooks } from './server.js';
export { type ServerOptions, type ServerUser, SERVER_DEFAULTS, KEEP_ALIVE_EXPIRY_FACTOR } from './options.js';
export { IcqServerError, ServerErrorCode } from './errors.js';
export { AccountStore, FIRST_REGISTERED_UIN, type Account, type StoredMessage } from './accounts.js';
export { writeFileAtomic, type AtomicWriteHooks } from './atomic-file.js';
