import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The one client every page uses. The session is the HttpOnly cookie the server sets at sign-in
 * (sent with `credentials: 'same-origin'`); the header marks our own requests, which the server
 * requires on cookie-authenticated changes so that another site cannot forge them.
 */
export const api = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  headers: { 'X-Rectify-Request': '1' },
});

let unauthenticated: (() => void) | undefined;

/** Called when a request outside sign-in answers 401: the session has ended. */
export function onUnauthenticated(handler: () => void): void {
  unauthenticated = handler;
}

api.use({
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url, window.location.href).pathname.startsWith('/api/auth/')) unauthenticated?.();
    return undefined;
  },
});
