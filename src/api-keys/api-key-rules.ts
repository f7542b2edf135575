import { createHash, randomBytes } from 'node:crypto';
import { AuthUser } from '../shared/auth/auth-user';
import { Role } from '../shared/auth/role';
import { ForbiddenError, ValidationFailedError } from '../shared/errors/api-error';

/** The roles a key may have: an organization's roles, never SUPER_ADMIN (a key belongs to one organization). */
export const API_KEY_ROLES = [Role.ADMIN, Role.PRACTITIONER, Role.VIEWER] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** An API key: `ul_` and 256 random bits, base64url (43 characters). */
const API_KEY = /^ul_[A-Za-z0-9_-]{43}$/;
export const API_KEY_PREFIX = 'ul_';

export const newApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
export const isWellFormedApiKey = (key: string): boolean => API_KEY.test(key);
/** SHA-256 (hex): what is stored and looked up. A fast hash suffices for 256 random bits (a slow one is for passwords). */
export const apiKeyHash = (key: string): string => createHash('sha256').update(key).digest('hex');

const RANK: Record<Role, number> = { [Role.VIEWER]: 0, [Role.PRACTITIONER]: 1, [Role.ADMIN]: 2, [Role.SUPER_ADMIN]: 3 };

/**
 * The organization a new key belongs to, or the refusal (SPEC §11): the key's role is never above
 * its creator's and never SUPER_ADMIN; an ADMIN's keys are their organization's, a SUPER_ADMIN
 * names one; a machine client does not mint further keys (a stolen key must not outlive its revocation).
 */
export function organizationForNewKey(caller: AuthUser, role: Role, requestedOrganizationId?: string): string {
  if (caller.apiKeyId !== undefined) throw new ForbiddenError('An API key may not create API keys; a person signed in must');
  if (RANK[role] > RANK[caller.role]) throw new ForbiddenError("An API key's role may not be above its creator's");
  if (role === Role.SUPER_ADMIN) {
    throw new ValidationFailedError([{ field: 'role', message: 'an API key belongs to one organization: role must be ADMIN, PRACTITIONER or VIEWER' }]);
  }
  if (caller.role !== Role.SUPER_ADMIN) {
    if (requestedOrganizationId !== undefined && requestedOrganizationId !== caller.organizationId) {
      throw new ForbiddenError('An ADMIN may only create API keys of their own organization');
    }
    return caller.organizationId!;
  }
  if (requestedOrganizationId === undefined) {
    throw new ValidationFailedError([{ field: 'organizationId', message: 'organizationId is required for a SUPER_ADMIN' }]);
  }
  return requestedOrganizationId;
}
