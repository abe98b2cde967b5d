export { describeEventStoreContract, makeEvent } from './event-store-contract.js';
export type { StoreFactory, StoreHandle } from './event-store-contract.js';
export {
  describeAuditStoreContract,
  describeRegistryStoreContract,
  describeHealHistoryStoreContract,
  describeStoresContract,
  makeAuditRecord,
  makeService,
  makeHealRecord,
} from './store-contracts.js';
export { describeDeliveryStoreContract, makeDeliveryInput } from './delivery-store-contract.js';
export { describeDocumentStoreContract } from './document-store-contract.js';
export { withStore, errorCode, rejection, eventually } from './helpers.js';
export { describeHttpAdapterContract, openStream } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions, OpenStream, SseEvent } from './http-adapter-contract.js';
