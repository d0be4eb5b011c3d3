/** User accounts (CU users and admins). */
import { randomUUID } from 'node:crypto';
import { users } from '../../db/schema.ts';
import type { CreateUser } from '../../protocol/api.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { DomainError, sqlErrorOf, UNIQUE_VIOLATION } from '../errors.ts';
import { hashPassword } from './passwords.ts';

/** A user as the API shows it. */
export interface UserInfo {
  id: string;
  username: string;
  role: 'user' | 'admin';
  created_at: string;
}

/** What the user accounts use. */
export interface UsersDeps {
  db: Db;
  log: Logger;
}

/** User accounts. */
export class Users {
  constructor(private p: UsersDeps) {}

  /** Create a user; the password is stored only as an argon2id hash. */
  async create(req: CreateUser): Promise<UserInfo> {
    const p = this.p;
    const passwordHash = await hashPassword(req.password);
    try {
      const [row] = await p.db.orm.insert(users).values({ id: randomUUID(), username: req.username, passwordHash, role: req.role }).returning();
      p.log.info({ user: row!.id, username: row!.username, role: row!.role }, 'user created');
      return { id: row!.id, username: row!.username, role: row!.role, created_at: row!.createdAt.toISOString() };
    } catch (err) {
      if (sqlErrorOf(err).code === UNIQUE_VIOLATION) throw new DomainError('conflict', `user ${req.username} exists`, 'username');
      throw err;
    }
  }
}
