import { open } from 'node:fs/promises';

/**
 * The last `lines` non-empty lines of a text file that `keep` accepts (default: all); none when the
 * file does not exist. Reads only the end of the file (at least 64 KiB), so a huge log costs little.
 */
export async function tailFile(
  path: string,
  lines: number,
  keep: (line: string) => boolean = () => true,
): Promise<string[]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const chunk = Math.min(size, Math.max(64 * 1024, lines * 400));
    const buf = Buffer.alloc(chunk);
    await fh.read(buf, 0, chunk, size - chunk);
    const all = buf
      .toString('utf8')
      .split(/\r\n|\n|\r/)
      .filter((l) => l.length > 0);
    if (chunk < size) all.shift(); // the first line read is cut
    return all.filter(keep).slice(-lines);
  } finally {
    await fh.close();
  }
}
