import Type from 'typebox';
import { roles } from '../../../db/schema/index.js';
import { PASSWORD_MIN_LENGTH } from '../../../core/password-policy.js';
import { StringEnum, Nullable, StrictObject } from '../../schemas/common.schemas.js';

export const LoginBody = StrictObject({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});

export const ChangePasswordBody = StrictObject({
  currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
  newPassword: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 256, description: '至少 10 个字符，且不是常见或容易猜到的密码' }),
});

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  role: StringEnum(roles),
  unitCode: Type.String(),
  unitName: Type.String(),
  displayName: Nullable(Type.String()),
  email: Nullable(Type.String()),
  active: Type.Boolean(),
  /** After a generated or reset password: everything but /api/me, PUT /api/me/password and logout answers 403 until it is changed. */
  mustChangePassword: Type.Boolean(),
});

export const LoginResponse = Type.Object({ token: Type.String(), expiresIn: Type.String(), user: UserSchema });
