export enum Role {
  SUPER_ADMIN = 'SUPER_ADMIN',
  ADMIN = 'ADMIN',
  PRACTITIONER = 'PRACTITIONER',
  VIEWER = 'VIEWER',
}

export const ALL_ROLES = Object.values(Role);
/** Who may move units (reserve, release, consume). */
export const UNIT_OPERATORS = [Role.SUPER_ADMIN, Role.ADMIN, Role.PRACTITIONER];
/** Who may manage users and authorizations. */
export const MANAGERS = [Role.SUPER_ADMIN, Role.ADMIN];
