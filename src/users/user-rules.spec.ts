import { Role } from '../shared/auth/role';
import { checkUserUpdate, organizationForNewUser } from './user-rules';

const superAdmin = { id: 's', email: 's@x', role: Role.SUPER_ADMIN, organizationId: null };
const admin = { id: 'a', email: 'a@x', role: Role.ADMIN, organizationId: 'org-1' };

describe('user rules', () => {
  it('an ADMIN creates users of their own organization only, never a SUPER_ADMIN', () => {
    expect(organizationForNewUser(admin, Role.VIEWER)).toBe('org-1');
    expect(organizationForNewUser(admin, Role.VIEWER, 'org-1')).toBe('org-1');
    expect(() => organizationForNewUser(admin, Role.VIEWER, 'org-2')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => organizationForNewUser(admin, Role.SUPER_ADMIN)).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('a SUPER_ADMIN names the organization, except for another SUPER_ADMIN', () => {
    expect(organizationForNewUser(superAdmin, Role.ADMIN, 'org-2')).toBe('org-2');
    expect(organizationForNewUser(superAdmin, Role.SUPER_ADMIN)).toBeNull();
    expect(() => organizationForNewUser(superAdmin, Role.ADMIN)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('nobody changes their own role or deactivates themselves; ADMIN cannot grant SUPER_ADMIN', () => {
    expect(() => checkUserUpdate(admin, { id: 'a', role: Role.ADMIN }, { role: Role.VIEWER })).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => checkUserUpdate(admin, { id: 'a', role: Role.ADMIN }, { active: false })).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => checkUserUpdate(superAdmin, { id: 's', role: Role.SUPER_ADMIN }, { active: false })).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => checkUserUpdate(admin, { id: 'b', role: Role.VIEWER }, { role: Role.SUPER_ADMIN })).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => checkUserUpdate(admin, { id: 'b', role: Role.VIEWER }, { role: Role.PRACTITIONER, active: false })).not.toThrow();
    expect(() => checkUserUpdate(admin, { id: 'a', role: Role.ADMIN }, { active: true, role: Role.ADMIN })).not.toThrow();
  });
});
