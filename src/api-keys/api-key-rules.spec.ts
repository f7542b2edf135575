import { createHash } from 'node:crypto';
import { Role } from '../shared/auth/role';
import { apiKeyHash, isWellFormedApiKey, newApiKey, organizationForNewKey } from './api-key-rules';

const superAdmin = { id: 's', email: 's@x', role: Role.SUPER_ADMIN, organizationId: null };
const admin = { id: 'a', email: 'a@x', role: Role.ADMIN, organizationId: 'org-1' };
const adminKey = { ...admin, apiKeyId: 'k' };
const status = (status: number, code: string) => expect.objectContaining({ status, code });

describe('API key rules', () => {
  it('an ADMIN makes keys of their own organization, of any role up to ADMIN', () => {
    for (const role of [Role.ADMIN, Role.PRACTITIONER, Role.VIEWER]) expect(organizationForNewKey(admin, role)).toBe('org-1');
    expect(organizationForNewKey(admin, Role.VIEWER, 'org-1')).toBe('org-1');
    expect(() => organizationForNewKey(admin, Role.VIEWER, 'org-2')).toThrow(status(403, 'FORBIDDEN'));
    expect(() => organizationForNewKey(admin, Role.SUPER_ADMIN)).toThrow(status(403, 'FORBIDDEN'));
  });

  it('a key is never above its creator: a PRACTITIONER or VIEWER could make nothing above their own role', () => {
    const practitioner = { ...admin, role: Role.PRACTITIONER };
    expect(() => organizationForNewKey(practitioner, Role.ADMIN)).toThrow(status(403, 'FORBIDDEN'));
    expect(organizationForNewKey(practitioner, Role.VIEWER)).toBe('org-1');
    expect(() => organizationForNewKey({ ...admin, role: Role.VIEWER }, Role.PRACTITIONER)).toThrow(status(403, 'FORBIDDEN'));
  });

  it('a SUPER_ADMIN names the organization; a key is never SUPER_ADMIN', () => {
    expect(organizationForNewKey(superAdmin, Role.ADMIN, 'org-2')).toBe('org-2');
    expect(() => organizationForNewKey(superAdmin, Role.ADMIN)).toThrow(status(400, 'VALIDATION_FAILED'));
    expect(() => organizationForNewKey(superAdmin, Role.SUPER_ADMIN, 'org-2')).toThrow(status(400, 'VALIDATION_FAILED'));
  });

  it('an API key never makes keys, whatever its role', () => {
    expect(() => organizationForNewKey(adminKey, Role.VIEWER)).toThrow(status(403, 'FORBIDDEN'));
  });

  it('keys are ul_ and 43 base64url characters (256 bits), different each time, stored as their SHA-256', () => {
    const keys = Array.from({ length: 100 }, newApiKey);
    expect(new Set(keys).size).toBe(100);
    for (const key of keys) expect(isWellFormedApiKey(key)).toBe(true);
    expect(apiKeyHash(keys[0])).toBe(createHash('sha256').update(keys[0]).digest('hex'));
    for (const bad of ['ul_', `ul_${'a'.repeat(42)}`, `ul_${'a'.repeat(44)}`, `UL_${'a'.repeat(43)}`, `ul_${'a'.repeat(42)}=`, `ul_${'a'.repeat(42)}+`, ` ul_${'a'.repeat(43)}`]) {
      expect({ bad, ok: isWellFormedApiKey(bad) }).toEqual({ bad, ok: false });
    }
  });
});
