import { Role } from './role';

/** The caller, as the guards established it: loaded from the database (briefly cached), not from token claims. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
}
