// The wiki-link oracle (tests/testsuite/obsidian.rs): renders Markdown with
// remark, remark-gfm and @portaljs/remark-wiki-link (Obsidian's [[links]]
// and ![[embeds]]) to HTML, raw HTML kept as a browser reads it (rehype-raw).
// Usage: node render.mjs ORACLE_DIR FILE...; prints {file: html | {error}}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [oracle, ...files] = process.argv.slice(2);
const require = createRequire(oracle + "/");
const load = async (m) => import(require.resolve(m));
const { unified } = await load("unified");
const remarkParse = (await load("remark-parse")).default;
const remarkGfm = (await load("remark-gfm")).default;
const remarkRehype = (await load("remark-rehype")).default;
const rehypeRaw = (await load("rehype-raw")).default;
const rehypeStringify = (await load("rehype-stringify")).default;
const wiki = await load("@portaljs/remark-wiki-link");
const wikiLink = wiki.remarkWikiLink ?? wiki.default?.remarkWikiLink ?? wiki.default;

const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(wikiLink)
  .use(remarkRehype, { allowDangerousHtml: true })
  .use(rehypeRaw)
  .use(rehypeStringify);

// Front matter is the site's business, not the renderer's: it is cut off
// here the way Obsidian and Quartz do before rendering.
const body = (text) => text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n/, "");

const out = {};
for (const file of files) {
  try {
    out[file] = String(await processor.process(body(readFileSync(file, "utf8"))));
  } catch (e) {
    out[file] = { error: String(e) };
  }
}
process.stdout.write(JSON.stringify(out));
