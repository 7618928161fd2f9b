/** The image types the center takes, told from their first bytes and from a Content-Type header. */

export const IMAGE_CONTENT_TYPES = ["image/jpeg", "image/png", "image/tiff"] as const;
export type ImageContentType = (typeof IMAGE_CONTENT_TYPES)[number];

/** The image type of the first bytes (JPEG FF D8 FF, PNG's 8-byte signature, TIFF II*\0 or MM\0*), or null. */
export function sniffImageType(head: Uint8Array): ImageContentType | null {
  const starts = (sig: readonly number[]) => head.length >= sig.length && sig.every((b, i) => head[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])) return "image/tiff";
  return null;
}

/** The media type of a Content-Type header without parameters, lower case; null when absent. */
export function mediaType(header: string | undefined | null): string | null {
  if (header === undefined || header === null) return null;
  const t = header.split(";")[0].trim().toLowerCase();
  return t === "" ? null : t;
}
