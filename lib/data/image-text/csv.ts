// A CSV reader for caption files: RFC 4180 (comma-separated, fields quoted
// with double quotes, "" for a quote inside, quoted commas and newlines, CRLF
// or LF, a UTF-8 BOM), a header row naming the columns. Hand-written rather
// than csv-parse (the parser users would expect; see docs/text.md for why it
// is not a dependency yet): caption files need only this much.

/** One record: its fields by column name, and the 1-based line where it ends. */
export interface CsvRecord {
  record: Record<string, string>;
  line: number;
}

/**
 * Parses `text` (a header row, then records) into records keyed by the
 * header's names; blank lines are skipped, unquoted fields trimmed. Errors
 * name `file` and the line.
 *
 * @example parseCsv('image,caption\na.png,"a cat, asleep"\n', 'c.csv'); // [{ record: { image: 'a.png', caption: 'a cat, asleep' }, line: 2 }]
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const rows: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (keep its spaces)
  let line = 1;
  let quoteLine = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ fields, line });
    fields = [];
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
      quoteLine = line;
    } else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
    } else field += ch;
  }
  if (quoted) throw new Error(`${file} line ${quoteLine}: a quoted field is never closed (a missing ")`);
  endRow();
  if (rows.length === 0) return [];
  const header = rows[0].fields;
  return rows.slice(1).map(({ fields: f, line: l }) => {
    if (f.length !== header.length) {
      throw new Error(`${file} line ${l}: expected ${header.length} fields (${header.join(', ')}) but found ${f.length}`);
    }
    return { record: Object.fromEntries(header.map((h, k) => [h, f[k]])), line: l };
  });
}
