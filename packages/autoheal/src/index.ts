export { AUTOHEAL_EVENT_TYPES } from './events.js';
export { createAutoHealer } from './healer.js';
export type { AutoHealer } from './healer.js';
export { autohealModule } from './module.js';
export type { AutohealModule, AutohealModuleOptions } from './module.js';
export { autohealRoutes } from './routes.js';
export type { AutohealRoutesOptions } from './routes.js';
export { DEFAULT_POLICY, DEFAULT_DRAINING_MARKERS, resolvePolicy } from './policy.js';
export { resolveTargets, registryTarget, mergeTargets, dependencyOrder } from './targets.js';
export { healTargetConfigSchema, toHealTarget, checkInputSchema, targetInputSchema, windowBodySchema, quarantineBodySchema, dryRunBodySchema } from './schemas.js';
export type { HealTargetConfig } from './schemas.js';
export { evaluate, decide } from './evaluate.js';
export type { EvaluateContext, Effect, Evaluation } from './evaluate.js';
export { planRound } from './plan.js';
export type { Plan, PlanInput, HoldReason } from './plan.js';
export { startHeal, markRestarted, verifyProbe, finishHeal, holdBack, dryRunAdvance, quarantineByOperator, releaseByOperator } from './transitions.js';
export type { DueRestart } from './transitions.js';
export { backoffDelay, changeRate, isFlapping, pushResult } from './rules.js';
export { combine } from './checks/combine.js';
export { isDraining } from './checks/http.js';
export { healStatsFrom, timeToHeal } from './stats.js';
export type { HealStats } from './stats.js';
export { statusView, serviceWhy } from './views.js';
export type { StatusView, ServiceWhy } from './views.js';
export type { OperatorActions, WindowInput, WindowView } from './operator.js';
export {
  REASONS,
  ENGINE_STATES,
  newServiceState,
  servicesCollection,
  windowsCollection,
  engineCollection,
  settingsCollection,
} from './state.js';
export type { Reason, EngineState, Decision, ServiceState, OperatorWindow, HealInProgress, Quarantine, EngineDoc, SettingsDoc } from './state.js';
export type {
  CheckRole,
  HttpCheck,
  TcpCheck,
  CustomCheck,
  CustomCheckAnswer,
  RuntimeCheck,
  CheckSpec,
  ResolvedCheck,
  CheckVerdict,
  TargetHealth,
  CheckOutcome,
  Observation,
  HealTarget,
  TargetSource,
  ResolvedTarget,
  BackoffPolicy,
  HealPolicy,
  HealPolicyInput,
  HealerHooks,
  AutoHealerOptions,
  RoundReport,
} from './types.js';
