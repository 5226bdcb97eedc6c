import { onBeforeUnmount, ref, type Ref } from 'vue';

/** True while the window is phone-wide (the officer's pages switch to cards). */
export function useNarrow(maxWidth = 768): Ref<boolean> {
  const query = window.matchMedia(`(max-width: ${maxWidth}px)`);
  const narrow = ref(query.matches);
  const update = () => (narrow.value = query.matches);
  query.addEventListener('change', update);
  onBeforeUnmount(() => query.removeEventListener('change', update));
  return narrow;
}

/** Field errors of a problem+json body keyed by field name (`reason`, `feedback`, `evidence.0` → `evidence`). */
export function fieldErrors(errors: { field?: string; message: string }[] | undefined): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const error of errors ?? []) {
    const field = (error.field ?? '').split('.')[0] ?? '';
    if (field && !byField[field]) byField[field] = error.message;
  }
  return byField;
}
