import { Entity, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../shared/ids';

@Entity({ tableName: 'organizations' })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date & Opt = new Date();
}
