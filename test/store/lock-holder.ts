/**
 * A process that tries to take a data folder's lock once `startAt` (epoch ms) comes,
 * prints `held <pid>` or `refused <holder pid or ?>`, then holds on until killed.
 * argv: dataDir startAt [socket file path, for the non-Linux form]
 */
import { DataDirInUseError, lockDataDir } from "../../src/store/data-dir-lock.js";

const [dataDir, startAt, socketFile] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: lock-holder dataDir startAt [socketFile]");
setTimeout(
  async () => {
    try {
      await lockDataDir(dataDir, socketFile ? () => socketFile : undefined);
      console.log(`held ${process.pid}`);
    } catch (error) {
      if (!(error instanceof DataDirInUseError)) throw error;
      console.log(`refused ${error.pid ?? "?"}`);
    }
    setInterval(() => {}, 60_000);
  },
  Math.max(0, Number(startAt) - Date.now()),
);
