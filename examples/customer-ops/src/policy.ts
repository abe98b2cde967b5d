import { createPolicy, DEFAULT_ROLES, type Policy } from '@aetherlink/core';

/** The CRM's permissions: read leads and activities, write them, and ask the AI about them. */
export const CRM_PERMISSIONS = {
  read: 'crm:read',
  write: 'crm:write',
  assist: 'crm:assist',
} as const;

/**
 * DESIGN's roles with the CRM's permissions added: agents read, write and use the AI assistant; viewers read;
 * operators keep the ops plane only; admins have everything. The grants are spelled out here, whatever core's
 * defaults hold, so the CRM's access is read in one place.
 * @example aetherlinkExpress({ service: 'customer-ops', policy: crmPolicy(), routes })
 */
export function crmPolicy(): Policy {
  return createPolicy({
    roles: {
      agent: [...new Set([...(DEFAULT_ROLES.agent ?? []), CRM_PERMISSIONS.read, CRM_PERMISSIONS.write, CRM_PERMISSIONS.assist])],
      viewer: [...new Set([...(DEFAULT_ROLES.viewer ?? []), CRM_PERMISSIONS.read])],
    },
  });
}
