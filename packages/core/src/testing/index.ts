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
export { describeHttpAdapterContract } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';
export { openStream } from './sse-client.js';
export type { OpenStream, SseEvent } from './sse-client.js';
export { rawHttp } from './raw-http.js';
export type { RawRequest, RawResponse } from './raw-http.js';
