/** The API client: connection resolution, the typed client and its wire types. */
export { ApiClient, TABLE_ACCEPT, errorFromBody, warningTexts, type ClientOptions, type ListOptions, type WriteOptions, type DeleteOptions, type WatchOptions, type TableOptions } from './client.js';
export { resolveConnection, describeConnection, InsecureTokenError, KubeconfigError, isLoopbackHost, type Connection, type ConnectionFlags, type ResolvedConnection } from './connection.js';
export { DaemonUnreachableError } from './transport.js';
export * from './types.js';
