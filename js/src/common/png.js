// PNG bytes from a trait -> ImageBitmap for a canvas (null when there are no bytes).
import { bytesOf } from "./dom.js";

export async function decodePNG(value) {
  const bytes = value ? bytesOf(value) : new Uint8Array(0);
  if (!bytes.byteLength) return null;
  return createImageBitmap(new Blob([bytes], { type: "image/png" }));
}

/** An object URL for an <img> (revoke it when the image goes away). */
export function pngURL(value) {
  return URL.createObjectURL(new Blob([bytesOf(value)], { type: "image/png" }));
}
