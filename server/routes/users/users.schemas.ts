import Type from 'typebox';
import type { PublicUser } from '../../../db/repositories/users.repository.js';
import { roles } from '../../../db/schema/index.js';
import { PASSWORD_MIN_LENGTH } from '../../../core/password-policy.js';
import { StringEnum, Nullable, PageQuery, StrictObject } from '../../schemas/common.schemas.js';
import { UserSchema } from '../auth/auth.schemas.js';

export const CreateUserBody = StrictObject({
  username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$' }),
  password: Type.Optional(
    Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 256, description: '初始密码（至少 10 个字符且不是常见密码）；不填则生成一个，只在本次响应中出现，用户首次登录须修改' }),
  ),
  role: StringEnum(roles),
  unitCode: Type.String({ minLength: 1, maxLength: 64 }),
  displayName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
});

export const CreatedUser = Type.Object({
  ...UserSchema.properties,
  generatedPassword: Type.Optional(Type.String({ description: '生成的初始密码，仅此一次' })),
});

export const UserParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

export const UpdateUserBody = Type.Object(
  {
    displayName: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
    role: Type.Optional(StringEnum(roles)),
    unitCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    active: Type.Optional(Type.Boolean({ description: 'false 停用：该用户的所有会话立即失效' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ResetPasswordResponse = Type.Object({
  user: UserSchema,
  generatedPassword: Type.String({ description: '新生成的密码，仅此一次；用户下次登录须修改' }),
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
