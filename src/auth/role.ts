// Moved to src/shared/auth/role.ts; this re-export goes once the last importer is updated.
export * from '../shared/auth/role';
