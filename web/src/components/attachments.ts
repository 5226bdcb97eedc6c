import { api } from '../api/client';
import { asProblem, type Problem } from '../api/types';
import type { paths } from '../api/schema';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** An uploaded file as the server describes it: its id is what ticket events and written feedback reference. */
export type Attachment = Json<paths['/api/attachments']['post']['responses'][201]>['items'][number];

/** Where a file is downloaded (scope-checked by the server, like the ticket or feedback referencing it). */
export const attachmentUrl = (id: string) => `/api/attachments/${encodeURIComponent(id)}`;

/** 35 KB, 1.2 MB: sizes as people read them. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} 字节`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * POST /api/attachments with the chosen files as multipart/form-data. The server recognises each
 * file's type by its content and answers 413/415 with what it allows; nothing is refused here first.
 */
export async function uploadFiles(files: File[]): Promise<{ items: Attachment[] } | { problem: Problem }> {
  const form = new FormData();
  for (const file of files) form.append('file', file, file.name);
  try {
    // The route reads the multipart stream itself, so its schema declares no body: the form goes as it is.
    const { data, error } = await api.POST('/api/attachments', { body: form as never });
    return data ? { items: data.items } : { problem: asProblem(error) };
  } catch (failure) {
    return { problem: asProblem(failure) };
  }
}
