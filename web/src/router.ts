import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { onUnauthenticated } from './api/client';
import { forgetSession, loadMe, mustChangePassword, session, supervises } from './session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without a session (the sign-in page). */
    public?: boolean;
    /** Only supervisors and admins. */
    supervisor?: boolean;
    /** Only admins. */
    admin?: boolean;
    title?: string;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/sign-in', name: 'sign-in', component: () => import('./pages/auth/SignIn.vue'), meta: { public: true, title: '登录' } },
    { path: '/change-password', name: 'change-password', component: () => import('./pages/auth/ChangePassword.vue'), meta: { title: '修改密码' } },
    // Decided in beforeEnter, which runs after the global guard has loaded the session (a redirect would not wait).
    {
      path: '/',
      name: 'home',
      component: () => import('./pages/errors/NotFound.vue'),
      beforeEnter: () => (supervises(session.me?.user.role) ? { name: 'dashboard' } : { name: 'tickets' }),
    },
    { path: '/tickets', name: 'tickets', component: () => import('./pages/tickets/TicketList.vue'), meta: { title: '工单' } },
    { path: '/tickets/:id(\\d+)', name: 'ticket', component: () => import('./pages/tickets/TicketPage.vue'), props: true, meta: { title: '工单详情' } },
    { path: '/feedback', name: 'my-feedback', component: () => import('./pages/feedback/MyFeedback.vue'), meta: { title: '书面反馈' } },
    { path: '/inspections/:id(\\d+)/feedback', name: 'inspection-feedback', component: () => import('./pages/feedback/FeedbackPage.vue'), props: true, meta: { title: '书面反馈' } },
    { path: '/dashboard', name: 'dashboard', component: () => import('./pages/dashboard/SupervisorDashboard.vue'), meta: { title: '督办台', supervisor: true } },
    { path: '/inspections', name: 'inspections', component: () => import('./pages/inspections/InspectionList.vue'), meta: { title: '检查', supervisor: true } },
    { path: '/inspections/:id(\\d+)', name: 'inspection', component: () => import('./pages/inspections/InspectionPage.vue'), props: true, meta: { title: '检查详情', supervisor: true } },
    { path: '/admin/units', name: 'admin-units', component: () => import('./pages/admin/UnitsPage.vue'), meta: { title: '单位', admin: true } },
    { path: '/admin/users', name: 'admin-users', component: () => import('./pages/admin/UsersPage.vue'), meta: { title: '用户', admin: true } },
    { path: '/admin/emails', name: 'admin-emails', component: () => import('./pages/admin/OutboxPage.vue'), meta: { title: '邮件', admin: true } },
    { path: '/admin/calendar', name: 'admin-calendar', component: () => import('./pages/admin/CalendarPage.vue'), meta: { title: '工作日历', admin: true } },
    { path: '/account', name: 'account', component: () => import('./pages/account/AccountPage.vue'), meta: { title: '我的账户' } },
    { path: '/inspections/:id(\\d+)/report', name: 'inspection-report', component: () => import('./pages/reports/ReportPage.vue'), props: true, meta: { title: '检查报表', supervisor: true } },
    { path: '/reports/repeat-offenders', name: 'repeat-offenders', component: () => import('./pages/reports/RepeatOffenders.vue'), meta: { title: '屡查屡犯', supervisor: true } },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/errors/NotFound.vue'), meta: { title: '页面不存在' } },
  ],
});

const signInFor = (to: RouteLocationNormalized) => ({ name: 'sign-in', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  const me = await loadMe();
  if (!me) return signInFor(to);
  if (mustChangePassword(me) && to.name !== 'change-password') return { name: 'change-password', query: { redirect: to.fullPath } };
  // A page the user may not open looks like one that does not exist.
  if ((to.meta.supervisor && !supervises(me.user.role)) || (to.meta.admin && me.user.role !== 'admin')) return { name: 'not-found', params: { pathMatch: to.path.slice(1).split('/') }, replace: true };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 检查整改工单系统` : '检查整改工单系统';
});

// A session that ended (expired, signed out elsewhere) sends the user to sign in and back here after.
onUnauthenticated(() => {
  // Before anyone signed in, the route guard handles the 401 of GET /api/me itself.
  if (!session.me) return;
  forgetSession();
  const current = router.currentRoute.value;
  if (!current.meta.public) void router.replace(signInFor(current));
});
