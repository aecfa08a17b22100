// Uploaded files as the workflow sees them: references into the service's file store, never
// the bytes (Temporal payloads are limited to 2 MB and would carry personal documents).
import { z } from 'zod';
import { FILE_PURPOSES } from './onboarding';

export const ALLOWED_FILE_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_FILES_PER_UPLOAD = 3;

export const storedFileSchema = z.object({
  fileId: z.string().min(1),
  contentType: z.enum(ALLOWED_FILE_TYPES),
  size: z.number().int().positive().max(MAX_FILE_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type StoredFile = z.infer<typeof storedFileSchema>;

export const fileUploadSchema = z.object({
  purpose: z.enum(FILE_PURPOSES),
  files: z.array(storedFileSchema).min(1).max(MAX_FILES_PER_UPLOAD),
});
export type FileUpload = z.infer<typeof fileUploadSchema>;
