// JSON a user wrote: an editor may save UTF-8 with a byte-order mark (Windows' Notepad does),
// which JSON.parse refuses as an unexpected token although the file is plain JSON.

/** JSON.parse of a file's text, a leading byte-order mark ignored. */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
