import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type AddressBook, parseAddressBook } from "../../contracts-bindings";
import { ConfigError } from "./errors";

/** Reads and validates an address book file; every failure is a one-line ADDRESS_BOOK error. */
export async function readAddressBookFile(path: string): Promise<AddressBook> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      "INVALID_SETTING",
      "ADDRESS_BOOK",
      `ADDRESS_BOOK: cannot read ${path} (${reason})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError("INVALID_SETTING", "ADDRESS_BOOK", `ADDRESS_BOOK: ${path} is not JSON`);
  }
  try {
    return parseAddressBook(json);
  } catch (error) {
    const issue = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
    const where = issue?.path.length ? `${issue.path.map(String).join(".")}: ` : "";
    throw new ConfigError(
      "INVALID_SETTING",
      "ADDRESS_BOOK",
      `ADDRESS_BOOK: ${path}: ${where}${issue?.message ?? "not an address book"}`,
    );
  }
}

/** Writes `book` as pretty JSON, creating the directory; returns the path. */
export async function writeAddressBookFile(path: string, book: AddressBook): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(book, null, 2)}\n`);
  return path;
}
