export { describeEventStoreContract, makeEvent } from './event-store-contract.js';
export type { StoreFactory } from './event-store-contract.js';
