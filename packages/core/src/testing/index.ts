export { describeEventStoreContract, makeEvent } from './event-store-contract.js';
export type { StoreFactory } from './event-store-contract.js';
export {
  describeAuditStoreContract,
  describeRegistryStoreContract,
  describeRuleStoreContract,
  describeHealHistoryStoreContract,
  describeStoresContract,
  makeAuditRecord,
  makeService,
  makeHealRecord,
} from './store-contracts.js';
export { describeDeliveryStoreContract, makeDeliveryInput } from './delivery-store-contract.js';
export { withStore, errorCode, eventually } from './helpers.js';
export { describeHttpAdapterContract, openStream } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions, OpenStream, SseEvent } from './http-adapter-contract.js';
export { memoryLogger } from './logger.js';
export type { LogLine } from './logger.js';
