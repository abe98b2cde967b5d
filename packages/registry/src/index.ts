export { createRegistry } from './registry.js';
export { createHealthChecker, DEFAULT_PROBE_EGRESS } from './checker.js';
export { egressConnector } from './egress-connector.js';
export { registerSelf } from './self-register.js';
export { instanceServiceName } from './names.js';
export { registryRoutes } from './routes.js';
export { probe } from './probe.js';
export type { ProbeOptions } from './probe.js';

export { evaluateProbe, probeSettings, DEFAULT_CONDITIONS } from './evaluate.js';
export { leaseState, decideLease, effectiveStatus, leaseExpiresAt } from './leases.js';
export { statusOnRegister, statusAfterProbe, reportsFailure } from './transitions.js';
export { aggregateHealth } from './aggregate.js';
export { toServiceView, toServiceHealth } from './view.js';

export {
  DEFAULT_LIMITS,
  SERVICE_NAME_PATTERN,
  RESERVED_META_PREFIX,
  serviceNameSchema,
  httpUrlSchema,
  healthUrlSchema,
  checkSchema,
  createRegistrationSchema,
  registrationSchema,
  createHeartbeatSchema,
  heartbeatSchema,
  serviceViewSchema,
  healthReportSchema,
  defaultHealthUrl,
  parseOrThrow,
} from './schemas.js';
export type { RegistrationLimits, RegistrationInput, Registration, CheckInput, Check } from './schemas.js';

export type {
  JsonScalar,
  ProbeConditions,
  ProbeResult,
  ProbeVerdict,
  ServiceView,
  ServiceHealth,
  HealthReport,
  LeaseState,
  LeaseAction,
  RegistryChange,
  RegistryOptions,
  RegisterResult,
  CheckOutcome,
  ExpiryResult,
  WaitForChangeOptions,
  Registry,
  HealthCheckerOptions,
  CheckAllOptions,
  HealthChecker,
  SelfRegistrationAuth,
  SelfRegistrationState,
  SelfRegistrationEvent,
  SelfRegistrationOptions,
  SelfRegistration,
  RegistryRoutesOptions,
} from './types.js';
export { registryModule, selfRegistrationModule } from './module.js';
export type { RegistryModule, RegistryModuleOptions, SelfRegistrationModuleOptions } from './module.js';
export { REGISTRY_EVENT_TYPES } from './events.js';
