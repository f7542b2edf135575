import { Role } from './role';

/** The caller, as the guards established it: loaded from the database (briefly cached), not from token claims. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
  /**
   * Set when the caller is a machine client authenticated by an API key (SPEC §11): `id` and
   * `email` are then the key's creator (the person answerable for what it does, e.g. a reservation's
   * `createdBy`), `role` and `organizationId` the key's. Rate limits and Idempotency-Keys are the key's own.
   */
  apiKeyId?: string;
}
