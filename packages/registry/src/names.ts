import { parseOrThrow, serviceNameSchema } from './schemas.js';

// Service names are at most 100 characters (SERVICE_NAME_PATTERN); the instance part keeps its last 39, where ids
// such as a host name plus a random suffix differ.
const MAX_NAME = 100;
const MAX_INSTANCE = 39;

/**
 * The name one instance of a service registers under when several instances share one registry: the service
 * name, a dash and the instance id made safe (characters a name may not hold become `-`), within the registry's
 * name rule. Throws `validation_failed` naming `service` when the service name itself breaks the rule.
 * @example instanceServiceName('command-center', 'host-1/4f2a') // 'command-center-host-1-4f2a'
 */
export function instanceServiceName(service: string, instance: string): string {
  parseOrThrow(serviceNameSchema, service, 'the service name is invalid', { rename: () => 'service' });
  const id = instance
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(-MAX_INSTANCE);
  if (!id) return service;
  const head = service.slice(0, MAX_NAME - 1 - id.length).replace(/[-._]+$/, '');
  return `${head}-${id}`;
}
