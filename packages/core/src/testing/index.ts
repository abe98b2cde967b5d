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
export { describeRetentionContract } from './retention-contract.js';
export { withStore, errorCode, rejection, eventually } from './helpers.js';
export { describeHttpAdapterContract } from './http-adapter-contract.js';
export type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';
export { openStream } from './sse-client.js';
export type { OpenStream, SseEvent } from './sse-client.js';
export { rawHttp } from './raw-http.js';
export type { RawRequest, RawResponse } from './raw-http.js';
export { memoryLogger } from './logger.js';
export type { LogLine } from './logger.js';
export { JOB_FAILED } from './event-types.js';
export { describeRuntimeAdapterContract, CONTRACT_WORKLOADS } from './runtime-contract.js';
export type { ContractWorkload, RuntimeContractSubject } from './runtime-contract.js';
export { recordingRuntime } from './recording-runtime.js';
export type { RecordingRuntime, RecordingRuntimeOptions, RuntimeCall } from './recording-runtime.js';
export { startTestServer, answer, hang, refusedUrl } from './upstream.js';
export type { TestServer } from './upstream.js';
export { startListeningProcess } from './listening-process.js';
export type { ListeningProcess, ListeningProcessOptions } from './listening-process.js';
