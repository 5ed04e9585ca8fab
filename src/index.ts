/** icqxfer as a library: the same engine the three commands use. */
export { sendFiles, FileSender, type SendRequestOptions } from './transfer/sender.js';
export { receiveFiles, FileReceiver } from './transfer/receiver.js';
export { startServer, type IcqServer, type ServerOptions } from './server/index.js';
export { LoginSession, type LoginSessionOptions } from './login/index.js';
export type * from './transfer/events.js';
export type * from './transfer/options.js';
export type { PeerPresence, ReverseConnectRequest } from './login/types.js';
export { IcqError, ErrorCode } from './errors.js';
export { IcqProtocolError, WireErrorCode } from './wire/errors.js';
export * as wire from './wire/index.js';
