/** rllmc's version, for `--version`, the headers of generated files and every cache key. */
import { readFileSync } from "node:fs";

/** The package's version, from the nearest package.json above this module (src/ or dist/src/). */
export function version(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "rllmc" && pkg.version !== undefined) return pkg.version;
    } catch {
      // keep walking up
    }
    if (dir.pathname === "/") return "0.0.0";
  }
}
