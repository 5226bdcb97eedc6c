import { reactive } from 'vue';
import { api } from './api/client';
import type { Me, Role } from './api/types';

interface Session {
  /** undefined: not asked yet; null: not signed in. */
  me: Me | null | undefined;
  /** The inspection last chosen on 督办台, kept while the page is open. */
  dashboardInspection: number | undefined;
}

export const session = reactive<Session>({ me: undefined, dashboardInspection: undefined });

/** GET /api/me once per page load (and after sign-in); null when there is no session. */
export async function loadMe(force = false): Promise<Me | null> {
  if (session.me !== undefined && !force) return session.me;
  const { data } = await api.GET('/api/me');
  session.me = data ?? null;
  return session.me;
}

export function forgetSession(): void {
  session.me = null;
  session.dashboardInspection = undefined;
}

/** True when the server asks this user to replace a generated or reset password first. */
export function mustChangePassword(me: Me | null | undefined): boolean {
  return me?.user.mustChangePassword === true;
}

export const supervises = (role: Role | undefined) => role === 'supervisor' || role === 'admin';
