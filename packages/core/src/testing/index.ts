export { describeEventStoreContract, makeEvent } from './event-store-contract.js';
export type { StoreFactory } from './event-store-contract.js';
export { describeHttpAdapterContract, openStream } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions, OpenStream, SseEvent } from './http-adapter-contract.js';
