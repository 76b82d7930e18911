// Copies the DSFR files that Boussole serves from node_modules into static/dsfr (ignored by git):
// the stylesheets we link, every file they reference (fonts, icons), the JS module and the favicons.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const source = "node_modules/@gouvfr/dsfr/dist";
const target = "static/dsfr";
const stylesheets = [
  "dsfr.min.css",
  "utility/icons/icons-system/icons-system.min.css",
  "utility/icons/icons-user/icons-user.min.css",
  "utility/icons/icons-document/icons-document.min.css",
  "utility/icons/icons-arrows/icons-arrows.min.css",
];
const files = ["dsfr.module.min.js", "dsfr.nomodule.min.js"];

if (!existsSync(source)) {
  console.error(`${source} is missing: run npm install first`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });

const copy = (file) => {
  const from = join(source, file);
  if (!existsSync(from)) throw new Error(`missing DSFR file ${from}`);
  mkdirSync(dirname(join(target, file)), { recursive: true });
  copyFileSync(from, join(target, file));
};

let referenced = 0;
for (const sheet of stylesheets) {
  copy(sheet);
  const css = readFileSync(join(source, sheet), "utf8");
  for (const match of css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) {
    const url = match[1];
    if (url.startsWith("data:") || url.startsWith("#")) continue;
    const file = normalize(join(dirname(sheet), url.split(/[?#]/)[0]));
    if (relative(".", file).startsWith("..")) throw new Error(`reference outside the DSFR: ${url}`);
    copy(file);
    referenced += 1;
  }
}
files.forEach(copy);
for (const icon of readdirSync(join(source, "favicon"))) copy(join("favicon", icon));
console.log(`DSFR assets copied to ${target} (${stylesheets.length} stylesheets, ${referenced} referenced files)`);
