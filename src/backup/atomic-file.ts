import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a file that appears whole or not at all, readable by its owner only: the lines go to a temporary name in
 * the SAME directory (rename(2) is atomic only within one file system), created 0600, fsynced, then renamed over
 * `target` and the directory fsynced so the rename itself survives a crash (POSIX rename(2), fsync(2)). A failure
 * removes the temporary file and leaves any earlier `target` as it was.
 */
export async function writeFileAtomically(target: string, write: (emit: (chunk: string) => void) => Promise<void>): Promise<void> {
  const directory = path.dirname(path.resolve(target));
  const temporary = path.join(directory, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temporary, 'wx', 0o600);
  try {
    await write((chunk) => {
      fs.writeSync(fd, chunk);
    });
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temporary, target);
  } catch (error) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed before the failing rename
    }
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  const dirFd = fs.openSync(directory, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
