import type { paths } from './schema';
import { asProblem, type Problem } from './types';

type FindingsImport = paths['/api/inspections/{id}/findings']['post'];
export type ImportResult = FindingsImport['responses'][201]['content']['application/json'];
export type ImportQuery = NonNullable<FindingsImport['parameters']['query']>;
export type ImportIssue = ImportResult['warnings'][number];

/** How far a file upload has got: bytes sent of the total, then `checking` while the server reads it. */
export interface UploadProgress {
  sent: number;
  total: number;
  /** All bytes are sent; the server is reading the file. */
  checking: boolean;
}

export type UploadAnswer<T> = { data: T; error?: undefined } | { data?: undefined; error: Problem };

/**
 * A file sent as multipart/form-data (field `file`) with its upload progress, which `fetch` cannot
 * report: the one place the workbench uses XMLHttpRequest. Same session cookie and marker header as
 * the typed client; the answer is the route's typed result or its problem.
 */
function sendFile<T>(url: string, file: File, onProgress?: (progress: UploadProgress) => void): Promise<UploadAnswer<T>> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.withCredentials = true;
    request.setRequestHeader('X-Rectify-Request', '1');
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      onProgress?.({ sent: event.loaded, total: event.lengthComputable ? event.total : file.size, checking: false });
    });
    request.upload.addEventListener('load', () => onProgress?.({ sent: file.size, total: file.size, checking: true }));
    request.addEventListener('load', () => {
      const body: unknown = request.response;
      if (request.status >= 200 && request.status < 300) resolve({ data: body as T });
      else resolve({ error: asProblem(body) });
    });
    request.addEventListener('error', () => resolve({ error: asProblem(undefined) }));
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}

/** POST /api/inspections/:id/findings, or with `dryRun` its check that keeps nothing. */
export function uploadFindings(
  inspectionId: number,
  file: File,
  { dryRun, onProgress }: ImportQuery & { onProgress?: (progress: UploadProgress) => void },
): Promise<UploadAnswer<ImportResult>> {
  return sendFile<ImportResult>(`/api/inspections/${inspectionId}/findings${dryRun ? '?dryRun=true' : ''}`, file, onProgress);
}

type ScopeImport = paths['/api/inspections/{id}/scope']['post'];
export type ScopeResult = ScopeImport['responses'][200]['content']['application/json'];

/** POST /api/inspections/:id/scope: the notice's 附件1 or 附件2 replaces that kind's scope. */
export function uploadScope(inspectionId: number, file: File, onProgress?: (progress: UploadProgress) => void): Promise<UploadAnswer<ScopeResult>> {
  return sendFile<ScopeResult>(`/api/inspections/${inspectionId}/scope`, file, onProgress);
}
