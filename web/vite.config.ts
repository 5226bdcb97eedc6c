import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import AutoImport from 'unplugin-auto-import/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import Components from 'unplugin-vue-components/vite';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const api = 'http://127.0.0.1:3000';

/** Pages whose first load is budgeted: the JavaScript a browser fetches to show them, gzipped. */
const budgets = [
  { page: '登录页', file: 'src/pages/auth/SignIn.vue', limitKb: 250 },
  { page: '工单列表', file: 'src/pages/tickets/TicketList.vue', limitKb: 400 },
  { page: '工单页', file: 'src/pages/tickets/TicketPage.vue', limitKb: 400 },
  { page: '督办台', file: 'src/pages/dashboard/SupervisorDashboard.vue', limitKb: 600 },
];

interface ChunkInfo { type: 'chunk'; code: string; imports: string[]; isEntry: boolean; facadeModuleId: string | null }

/** Prints each budgeted page's initial JavaScript (entry + the page's chunk + their static imports) and fails over the limit. */
function pageSizes(): Plugin {
  return {
    name: 'rectify-page-sizes',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map<string, ChunkInfo>();
      for (const [name, item] of Object.entries(bundle)) if (item.type === 'chunk') chunks.set(name, item as unknown as ChunkInfo);
      const closure = (roots: string[]) => {
        const seen = new Set<string>();
        const visit = (name: string) => {
          if (seen.has(name)) return;
          seen.add(name);
          for (const next of chunks.get(name)?.imports ?? []) visit(next);
        };
        roots.forEach(visit);
        return seen;
      };
      const entry = [...chunks].find(([, c]) => c.isEntry)?.[0];
      if (!entry) return;
      const lines: string[] = [];
      for (const budget of budgets) {
        const page = [...chunks].find(([, c]) => c.facadeModuleId === path.join(here, budget.file))?.[0];
        if (!page) this.error(`no chunk for ${budget.file}`);
        let bytes = 0;
        for (const name of closure([entry, page])) bytes += gzipSync(chunks.get(name)?.code ?? '').length;
        const kb = bytes / 1024;
        lines.push(`  ${budget.page.padEnd(6, '　')} ${kb.toFixed(1).padStart(7)} KB gzip (limit ${budget.limitKb} KB)`);
        if (kb > budget.limitKb) this.error(`${budget.page}: initial JavaScript ${kb.toFixed(1)} KB gzip exceeds ${budget.limitKb} KB`);
      }
      console.log(`\nInitial JavaScript per page:\n${lines.join('\n')}\n`);
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [
    vue(),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: path.join(here, 'src/auto-imports.d.ts') }),
    Components({ resolvers: [ElementPlusResolver()], dts: path.join(here, 'src/components.d.ts'), dirs: [] }),
    pageSizes(),
  ],
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  server: { proxy: Object.fromEntries(['/api', '/docs', '/openapi.json', '/healthz', '/readyz'].map((p) => [p, api])) },
});
