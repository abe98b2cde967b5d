export { describeEventStoreContract, makeEvent } from './event-store-contract.js';
export type { StoreFactory, StoreHandle } from './event-store-contract.js';
export {
  describeAuditStoreContract,
  describeHealHistoryStoreContract,
  describeStoresContract,
  makeAuditRecord,
  makeHealRecord,
} from './store-contracts.js';
export { describeRegistryStoreContract, makeService } from './registry-store-contract.js';
export { describeDeliveryStoreContract, makeDeliveryInput } from './delivery-store-contract.js';
export { describeDocumentStoreContract } from './document-store-contract.js';
export { withStore, errorCode, rejection, eventually } from './helpers.js';
export { describeHttpAdapterContract, openStream } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions, OpenStream, SseEvent } from './http-adapter-contract.js';
