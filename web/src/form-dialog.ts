import { reactive, ref, type Ref } from 'vue';
import { asProblem } from './api/types';
import { fieldErrors } from './composables';

/**
 * The state of a dialog that adds a row or edits one (新增… / 修改 on the admin pages): which row is
 * being edited (null when adding), the form, its field errors and message, and saving. `submit`
 * shows the page's own checks, or sends and shows the server's problem by field, or closes.
 */
export function useFormDialog<Row, Form extends object>(blank: Form, fill: (row: Row) => Form) {
  const editing = ref<Row | null>(null) as Ref<Row | null>;
  const open = ref(false);
  const saving = ref(false);
  const errors = ref<Record<string, string>>({});
  const message = ref('');
  // The forms here hold plain strings: nothing in them is unwrapped.
  const form = reactive({ ...blank }) as Form;

  function show(row: Row | null) {
    editing.value = row;
    Object.assign(form, row === null ? blank : fill(row));
    errors.value = {};
    message.value = '';
    open.value = true;
  }

  /** Field errors by name, else the problem's detail above the buttons. */
  function showProblem(problem: unknown) {
    const details = asProblem(problem);
    errors.value = fieldErrors(details.errors);
    if (!Object.keys(errors.value).length) message.value = details.detail ?? details.title;
  }

  /**
   * With `local` errors (the page's own checks) shows them and sends nothing; else runs `send`,
   * which answers the server's problem or nothing. True once saved and closed.
   */
  async function submit(local: Record<string, string>, send: () => Promise<unknown>): Promise<boolean> {
    errors.value = local;
    message.value = '';
    if (Object.keys(local).length) return false;
    saving.value = true;
    try {
      const problem = await send();
      if (problem) {
        showProblem(problem);
        return false;
      }
      open.value = false;
      return true;
    } finally {
      saving.value = false;
    }
  }

  return { editing, open, saving, errors, message, form, openCreate: () => show(null), openEdit: (row: Row) => show(row), submit };
}
