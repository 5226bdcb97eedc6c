import Type from 'typebox';
import type { PublicUser } from '../../../db/repositories/users.repository.js';
import { roles } from '../../../db/schema/index.js';
import { StringEnum, Nullable, PageQuery, StrictObject } from '../../schemas/common.schemas.js';
import { UserSchema } from '../auth/auth.schemas.js';

export const CreateUserBody = StrictObject({
  username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$' }),
  password: Type.String({ minLength: 8, maxLength: 256 }),
  role: StringEnum(roles),
  unitCode: Type.String({ minLength: 1, maxLength: 64 }),
  displayName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
});

export const UserListQuery = StrictObject({ ...PageQuery });
export const UserList = Type.Object({ items: Type.Array(UserSchema), nextCursor: Nullable(Type.String()) });

export function toUserDto(user: PublicUser) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    unitCode: user.unitCode,
    unitName: user.unitName,
    displayName: user.displayName,
    email: user.email,
    active: user.active,
    mustChangePassword: user.mustChangePassword,
  };
}
