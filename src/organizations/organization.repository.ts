import { iso, Sql } from '../database/database.service';

// Every SQL string of the organizations table. Reads that need no transaction of the caller's go
// through the Organization entity (OrganizationsService.list).

/** An organization as written by insert(): createdAt is ISO-8601 UTC text. */
export interface OrganizationRow {
  id: string;
  name: string;
  createdAt: string;
}

export const organizationRepository = {
  async insert(sql: Sql, id: string, name: string): Promise<OrganizationRow> {
    const [row] = await sql.query<OrganizationRow>(`insert into organizations (id, name) values (?, ?) returning id, name, ${iso('created_at')} as "createdAt"`, [id, name]);
    return row;
  },

  async exists(sql: Sql, id: string): Promise<boolean> {
    return (await sql.query('select 1 from organizations where id = ?', [id])).length > 0;
  },
};
